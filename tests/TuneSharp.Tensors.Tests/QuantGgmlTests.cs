// GGUF block kernels (Q8_0, Q4_0, Q4_K, Q6_K): goldens from tests/golden/gen_quant.py, hand-built blocks,
// fast-vs-twin identity and ggml's test-quantize-fns error bounds.
using TuneSharp.Tensors.IO.Gguf;
using TuneSharp.Tensors.Kernels.Quant;
using TuneSharp.Tensors.Kernels.Reference.Quant;
using TuneSharp.Testing;

namespace TuneSharp.Tensors.Tests;

public sealed class QuantGgmlTests
{
    private static byte[] Bytes(GoldenTensor t) => Array.ConvertAll(t.AsInts(), v => checked((byte)v));

    [Fact]
    public void Q8_0_MatchesGolden()
    {
        var g = GoldenFixture.Load("quant/q8_0.json");
        var x = g["x"].AsFloats();
        var q = new byte[Q8_0.RowBytes(x.Length)];
        Q8_0.Quantize(x, q);
        Assert.Equal(Bytes(g["q"]), q);
        var y = new float[x.Length];
        Q8_0.Dequantize(q, y);
        NumericAssert.Close(g["dequant"].AsFloats(), y, 0, 0, "Q8_0 dequant");
    }

    [Fact]
    public void Q4_0_MatchesGolden()
    {
        var g = GoldenFixture.Load("quant/q4_0.json");
        var x = g["x"].AsFloats();
        var q = new byte[Q4_0.RowBytes(x.Length)];
        Q4_0.Quantize(x, q);
        Assert.Equal(Bytes(g["q"]), q);
        var y = new float[x.Length];
        Q4_0.Dequantize(q, y);
        NumericAssert.Close(g["dequant"].AsFloats(), y, 0, 0, "Q4_0 dequant");
    }

    [Theory]
    [InlineData("q4_k")]
    [InlineData("q6_k")]
    public void KQuants_MatchGoldenAndTwin(string name)
    {
        var g = GoldenFixture.Load($"quant/{name}.json");
        var q = Bytes(g["q"]);
        var expected = g["dequant"].AsFloats();
        var fast = new float[expected.Length];
        var twin = new float[expected.Length];
        if (name == "q4_k")
        {
            Q4K.Dequantize(q, fast);
            GgmlQuantReference.DequantizeQ4K(q, twin);
        }
        else
        {
            Q6K.Dequantize(q, fast);
            GgmlQuantReference.DequantizeQ6K(q, twin);
        }
        NumericAssert.Close(expected, twin, 0, 0, name + " twin");
        NumericAssert.Close(expected, fast, 0, 0, name + " fast");
    }

    [Fact]
    public void Q8_0_HandBuiltBlock()
    {
        var b = new byte[34];
        BitConverter.TryWriteBytes(b.AsSpan(0, 2), BitConverter.HalfToUInt16Bits((Half)0.25f));
        for (int j = 0; j < 32; j++) b[2 + j] = (byte)(sbyte)(j * 8 - 128); // −128, −120, …, 120
        var y = new float[32];
        Q8_0.Dequantize(b, y);
        for (int j = 0; j < 32; j++) Assert.Equal((j * 8 - 128) * 0.25f, y[j]);
    }

    [Fact]
    public void Q4_0_HandBuiltBlock_LowNibblesAreFirstHalf()
    {
        var b = new byte[18];
        BitConverter.TryWriteBytes(b.AsSpan(0, 2), BitConverter.HalfToUInt16Bits((Half)2f));
        for (int j = 0; j < 16; j++) b[2 + j] = (byte)(j | (15 - j) << 4);
        var y = new float[32];
        Q4_0.Dequantize(b, y);
        for (int j = 0; j < 16; j++)
        {
            Assert.Equal((j - 8) * 2f, y[j]);
            Assert.Equal((15 - j - 8) * 2f, y[16 + j]);
        }
    }

    [Fact]
    public void Q4K_HandBuiltBlock_UsesBothScalePackings()
    {
        var b = new byte[144];
        BitConverter.TryWriteBytes(b.AsSpan(0, 2), BitConverter.HalfToUInt16Bits((Half)0.5f));  // d
        BitConverter.TryWriteBytes(b.AsSpan(2, 2), BitConverter.HalfToUInt16Bits((Half)0.25f)); // dmin
        // Sub-block j: scale j+1 and min 2j for j < 4 (6 bits in scales[j], scales[j+4]); for j ≥ 4 the scale's low
        // 4 bits are in scales[j+4] & 0xF, its high 2 bits in scales[j−4] >> 6; the min's low 4 bits in
        // scales[j+4] >> 4, its high 2 bits in scales[j] >> 6.
        int[] sc = [1, 2, 3, 4, 37, 50, 63, 20];
        int[] mn = [0, 2, 4, 6, 41, 17, 60, 33];
        var s = b.AsSpan(4, 12);
        for (int j = 0; j < 4; j++)
        {
            s[j] = (byte)(sc[j] | (sc[j + 4] >> 4) << 6);
            s[j + 4] = (byte)(mn[j] | (mn[j + 4] >> 4) << 6);
            s[j + 8] = (byte)((sc[j + 4] & 0xF) | (mn[j + 4] & 0xF) << 4);
        }
        for (int l = 0; l < 128; l++) b[16 + l] = (byte)((l % 16) | ((l * 7) % 16) << 4);
        var y = new float[256];
        Q4K.Dequantize(b, y);
        for (int k = 0; k < 4; k++)
            for (int l = 0; l < 32; l++)
            {
                int byteIndex = 32 * k + l;
                Assert.Equal(0.5f * sc[2 * k] * (byteIndex % 16) - 0.25f * mn[2 * k], y[64 * k + l]);
                Assert.Equal(0.5f * sc[2 * k + 1] * ((byteIndex * 7) % 16) - 0.25f * mn[2 * k + 1], y[64 * k + 32 + l]);
            }
    }

    [Fact]
    public void Q6K_HandBuiltBlock()
    {
        var b = new byte[210];
        BitConverter.TryWriteBytes(b.AsSpan(208, 2), BitConverter.HalfToUInt16Bits((Half)0.125f));
        for (int j = 0; j < 16; j++) b[192 + j] = (byte)(sbyte)(j - 8);
        // Every value q = 40 (6-bit) → x = d·scale·(40 − 32): low nibble 8, high bits 2.
        for (int l = 0; l < 128; l++) b[l] = 0x88;
        for (int l = 0; l < 64; l++) b[128 + l] = 0b10101010;
        var y = new float[256];
        Q6K.Dequantize(b, y);
        for (int i = 0; i < 256; i++) Assert.Equal(0.125f * (i / 16 - 8) * 8, y[i]);
    }

    // ggml tests/test-quantize-fns.cpp: data 0.1 + 2·cos(i + offset), error = sqrt(Σ(a − b)²) / n (not a true RMS),
    // dot error = |q(x)·y − x·y| / n, bounds MAX_QUANTIZATION_TOTAL_ERROR = 0.002 and MAX_DOT_PRODUCT_ERROR = 0.02.
    [Theory]
    [InlineData("Q8_0")]
    [InlineData("Q4_0")]
    public void RoundTrip_WithinGgmlBounds(string format)
    {
        const int n = 32 * 128;
        var x = new float[n];
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = 0.1f + 2 * MathF.Cos(i + 0.0f);
            y[i] = 0.1f + 2 * MathF.Cos(i + 1.0f);
        }
        var back = new float[n];
        float qdot;
        if (format == "Q8_0")
        {
            var q = new byte[Q8_0.RowBytes(n)];
            Q8_0.Quantize(x, q);
            Q8_0.Dequantize(q, back);
            qdot = Q8_0.Dot(q, y);
        }
        else
        {
            var q = new byte[Q4_0.RowBytes(n)];
            Q4_0.Quantize(x, q);
            Q4_0.Dequantize(q, back);
            qdot = Q4_0.Dot(q, y);
        }
        double sq = 0, dot = 0;
        for (int i = 0; i < n; i++)
        {
            sq += (x[i] - back[i]) * (double)(x[i] - back[i]);
            dot += (double)x[i] * y[i];
        }
        double err = Math.Sqrt(sq) / n;
        Assert.True(err <= Tolerances.QuantRms, $"{format}: total error {err} > {Tolerances.QuantRms}");
        double dotErr = Math.Abs(qdot - dot) / n;
        Assert.True(dotErr <= Tolerances.QuantDot, $"{format}: dot error {dotErr} > {Tolerances.QuantDot}");
    }

    // A true relative RMS on Gaussian data (documents the real precision): Q8_0 ≈ 0.6 %, Q4_0 ≈ 11 % of σ.
    [Theory]
    [InlineData("Q8_0", 0.01)]
    [InlineData("Q4_0", 0.15)]
    public void RoundTrip_GaussianRelativeRms(string format, double bound)
    {
        var rng = new Random(7);
        const int n = 32 * 64;
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        var back = new float[n];
        if (format == "Q8_0")
        {
            var q = new byte[Q8_0.RowBytes(n)];
            Q8_0.Quantize(x, q);
            Q8_0.Dequantize(q, back);
        }
        else
        {
            var q = new byte[Q4_0.RowBytes(n)];
            Q4_0.Quantize(x, q);
            Q4_0.Dequantize(q, back);
        }
        double sq = 0, var = 0;
        for (int i = 0; i < n; i++) { sq += Math.Pow(x[i] - back[i], 2); var += (double)x[i] * x[i]; }
        double rel = Math.Sqrt(sq / var);
        Assert.True(rel <= bound, $"{format}: relative RMS {rel} > {bound}");
    }

    [Fact]
    public void FastKernels_MatchTwins()
    {
        var rng = new Random(3);
        foreach (int blocks in new[] { 1, 2, 7 })
        {
            int n = blocks * 256;
            var x = new float[n];
            var v = new float[n];
            for (int i = 0; i < n; i++) { x[i] = (float)(rng.NextDouble() * 4 - 2); v[i] = (float)(rng.NextDouble() * 2 - 1); }

            var q8 = new byte[Q8_0.RowBytes(n)];
            Q8_0.Quantize(x, q8);
            CheckPair(n, q8, v, Q8_0.Dequantize, GgmlQuantReference.DequantizeQ8_0, Q8_0.Dot, "Q8_0");

            var q4 = new byte[Q4_0.RowBytes(n)];
            Q4_0.Quantize(x, q4);
            CheckPair(n, q4, v, Q4_0.Dequantize, GgmlQuantReference.DequantizeQ4_0, Q4_0.Dot, "Q4_0");

            var k4 = new byte[Q4K.RowBytes(n)];
            rng.NextBytes(k4);
            for (int b = 0; b < blocks; b++)
            {
                BitConverter.TryWriteBytes(k4.AsSpan(b * 144, 2), BitConverter.HalfToUInt16Bits((Half)0.01f));
                BitConverter.TryWriteBytes(k4.AsSpan(b * 144 + 2, 2), BitConverter.HalfToUInt16Bits((Half)0.02f));
            }
            CheckPair(n, k4, v, Q4K.Dequantize, GgmlQuantReference.DequantizeQ4K, Q4K.Dot, "Q4_K");

            var k6 = new byte[Q6K.RowBytes(n)];
            rng.NextBytes(k6);
            for (int b = 0; b < blocks; b++)
                BitConverter.TryWriteBytes(k6.AsSpan(b * 210 + 208, 2), BitConverter.HalfToUInt16Bits((Half)0.003f));
            CheckPair(n, k6, v, Q6K.Dequantize, GgmlQuantReference.DequantizeQ6K, Q6K.Dot, "Q6_K");
        }
    }

    private delegate void Deq(ReadOnlySpan<byte> src, Span<float> dst);

    private delegate float DotFn(ReadOnlySpan<byte> row, ReadOnlySpan<float> x);

    private static void CheckPair(int n, byte[] q, float[] v, Deq fast, Deq twin, DotFn dot, string what)
    {
        var a = new float[n];
        var b = new float[n];
        fast(q, a);
        twin(q, b);
        NumericAssert.Close(b, a, 0, 0, what + " dequant fast vs twin");
        double expected = GgmlQuantReference.Dot(b, v);
        double scale = 0;
        for (int i = 0; i < n; i++) scale += Math.Abs(b[i] * v[i]);
        Assert.True(Math.Abs(dot(q, v) - expected) <= Tolerances.MatMulRtol * scale + Tolerances.MatMulAtol,
            $"{what} dot {dot(q, v)} vs {expected}");
    }

    [Fact]
    public void Dispatch_And_Geometry()
    {
        Assert.Equal(34, GgmlQuant.ByteCount(GgmlType.Q8_0, 32));
        Assert.Equal(18 * 4, GgmlQuant.ByteCount(GgmlType.Q4_0, 128));
        Assert.Equal(144, GgmlQuant.ByteCount(GgmlType.Q4_K, 256));
        Assert.Equal(210 * 2, GgmlQuant.ByteCount(GgmlType.Q6_K, 512));
        Assert.Equal(8, GgmlQuant.ByteCount(GgmlType.F32, 2));
        Assert.Throws<ArgumentException>(() => GgmlQuant.ByteCount(GgmlType.Q4_K, 100));
        var f16 = new byte[4];
        BitConverter.TryWriteBytes(f16.AsSpan(0, 2), BitConverter.HalfToUInt16Bits((Half)1.5f));
        BitConverter.TryWriteBytes(f16.AsSpan(2, 2), BitConverter.HalfToUInt16Bits((Half)(-2f)));
        var y = new float[2];
        GgmlQuant.Dequantize(GgmlType.F16, f16, y);
        Assert.Equal([1.5f, -2f], y);
    }

    [Fact]
    public void BadLengths_Throw()
    {
        Assert.Throws<ArgumentException>(() => Q8_0.Dequantize(new byte[34], new float[31]));
        Assert.Throws<ArgumentException>(() => Q8_0.Dequantize(new byte[33], new float[32]));
        Assert.Throws<ArgumentException>(() => Q4_0.Quantize(new float[32], new byte[17]));
        Assert.Throws<ArgumentException>(() => Q4K.Dequantize(new byte[144], new float[128]));
        Assert.Throws<ArgumentException>(() => Q6K.Dot(new byte[209], new float[256]));
    }
}
