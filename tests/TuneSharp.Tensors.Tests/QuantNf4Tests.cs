// bitsandbytes NF4 and its double-quantized absmax: goldens from tests/golden/gen_quant.py (an independent
// re-implementation of bitsandbytes' kernels), the code table, thresholds, fast-vs-twin and error bounds.
using TuneSharp.Tensors.Kernels.Quant;
using TuneSharp.Tensors.Kernels.Reference.Quant;
using TuneSharp.Testing;

namespace TuneSharp.Tensors.Tests;

public sealed class QuantNf4Tests
{
    private static byte[] Bytes(GoldenTensor t) => Array.ConvertAll(t.AsInts(), v => checked((byte)v));

    [Fact]
    public void CodeTable_MatchesBitsandbytes()
    {
        var g = GoldenFixture.Load("quant/nf4.json");
        NumericAssert.Close(g["codes"].AsFloats(), Nf4.Codes.ToArray(), 0, 0, "NF4 codes");
        Assert.Equal(-1f, Nf4.Codes[0]);
        Assert.Equal(0f, Nf4.Codes[7]);
        Assert.Equal(1f, Nf4.Codes[15]);
    }

    [Fact]
    public void Quantize_NearestCode_TiesGoLow()
    {
        var c = Nf4.Codes;
        for (int k = 0; k < 16; k++) Assert.Equal(k, Nf4.QuantizeValue(c[k]));
        for (int k = 0; k < 15; k++)
        {
            // Slightly above / below the midpoint picks the upper / lower neighbour.
            float mid = (c[k] + c[k + 1]) / 2;
            Assert.Equal(k + 1, Nf4.QuantizeValue(mid + 1e-4f));
            Assert.Equal(k, Nf4.QuantizeValue(mid - 1e-4f));
        }
        Assert.Equal(15, Nf4.QuantizeValue(1.5f));
        Assert.Equal(0, Nf4.QuantizeValue(-1.5f));
        Assert.Equal(0, Nf4.QuantizeValue(float.NaN)); // all-zero block: 0·(1/0) = NaN → code 0 like the CUDA tree
    }

    [Fact]
    public void MatchesGolden_HighNibbleFirst()
    {
        var g = GoldenFixture.Load("quant/nf4.json");
        var x = g["x"].AsFloats();
        var packed = new byte[x.Length / 2];
        var absmax = new float[Nf4.BlockCount(x.Length)];
        Nf4.Quantize(x, packed, absmax);
        Assert.Equal(Bytes(g["packed"]), packed);
        NumericAssert.Close(g["absmax"].AsFloats(), absmax, 0, 0, "absmax");
        var y = new float[x.Length];
        Nf4.Dequantize(packed, absmax, y);
        NumericAssert.Close(g["dequant"].AsFloats(), y, 0, 0, "NF4 dequant");
        var twin = new float[x.Length];
        Nf4Reference.Dequantize(packed, absmax, twin);
        NumericAssert.Close(twin, y, 0, 0, "NF4 fast vs twin");

        // The first element of the pair is in the high nibble.
        Assert.Equal(Nf4.QuantizeValue(x[0] / absmax[0]), packed[0] >> 4);
    }

    [Fact]
    public void RoundTrip_GaussianError_AndDot()
    {
        var rng = new Random(11);
        const int n = 64 * 40;
        var x = new float[n];
        var v = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
            v[i] = (float)(rng.NextDouble() * 2 - 1);
        }
        var packed = new byte[n / 2];
        var absmax = new float[Nf4.BlockCount(n)];
        Nf4.Quantize(x, packed, absmax);
        var y = new float[n];
        Nf4.Dequantize(packed, absmax, y);
        double sq = 0, var = 0, dot = 0, scale = 0;
        for (int i = 0; i < n; i++)
        {
            sq += Math.Pow(x[i] - y[i], 2);
            var += (double)x[i] * x[i];
            dot += (double)y[i] * v[i];
            scale += Math.Abs(y[i] * v[i]);
        }
        // NF4 on N(0, 1) with 64-blocks: ≈ 10 % relative RMS (QLoRA paper's 4-bit regime).
        double rel = Math.Sqrt(sq / var);
        Assert.True(rel < 0.12, $"NF4 relative RMS {rel}");
        float fastDot = Nf4.Dot(packed, absmax, v);
        Assert.True(Math.Abs(fastDot - dot) <= Tolerances.MatMulRtol * scale + Tolerances.MatMulAtol, $"NF4 dot {fastDot} vs {dot}");
    }

    [Fact]
    public void DynamicMap_MatchesTorchWithinOneUlp()
    {
        var g = GoldenFixture.Load("quant/nf4_double_quant.json");
        var expected = g["dynamic_map"].AsFloats();
        var map = DynamicMapReference.SignedMap;
        Assert.Equal(256, map.Length);
        for (int i = 0; i < 256; i++)
        {
            Assert.True(Math.Abs(map[i] - expected[i]) <= 2.5e-7 * Math.Abs(expected[i]), $"map[{i}] = {map[i]:R}, torch {expected[i]:R}");
            if (i > 0) Assert.True(map[i] >= map[i - 1]);
        }
        Assert.Equal(1f, map[255]);
        Assert.Equal(1, map.ToArray().Count(v => v == 0));
    }

    [Fact]
    public void DoubleQuant_MatchesGolden()
    {
        var g = GoldenFixture.Load("quant/nf4_double_quant.json");
        var code = g["dynamic_map"].AsFloats();
        var am = g["absmax"].AsFloats();
        float offset = g["offset"].AsFloats()[0];

        // With the torch-built code table, quantization must be bit-identical to the python dQuantize.
        var centred = am.Select(a => a - offset).ToArray();
        var q = new byte[am.Length];
        var am2 = new float[(am.Length + 255) / 256];
        DynamicMapReference.QuantizeBlockwise(centred, q, am2, code, Nf4.NestedBlockSize);
        Assert.Equal(Bytes(g["qabsmax"]), q);
        NumericAssert.Close(g["absmax2"].AsFloats(), am2, 0, 0, "absmax2");
        var back = new float[am.Length];
        Nf4.DequantizeAbsmax(q, am2, offset, code, back);
        NumericAssert.Close(g["absmax_dequant"].AsFloats(), back, 0, 0, "absmax dequant");

        // The self-contained path (own map, own mean): same offset to float precision, dequantized absmax close.
        var q2 = new byte[am.Length];
        var am2b = new float[am2.Length];
        float offset2 = Nf4.QuantizeAbsmax(am, q2, am2b);
        Assert.True(Math.Abs(offset2 - offset) <= 1e-7 * Math.Abs(offset), $"offset {offset2} vs {offset}");
        var back2 = new float[am.Length];
        Nf4.DequantizeAbsmax(q2, am2b, offset2, back2);
        double worst = 0;
        for (int i = 0; i < am.Length; i++) worst = Math.Max(worst, Math.Abs(back2[i] - am[i]));
        // 8-bit dynamic code near its ±1 end is ~1/128 apart → |err| ≤ absmax2 · 1/128 / 2-ish.
        Assert.True(worst <= am2b.Max() / 100, $"double-quant absmax error {worst}");
    }

    [Fact]
    public void PartialLastBlock_AndBadArguments()
    {
        var x = new float[70];
        for (int i = 0; i < x.Length; i++) x[i] = i - 35;
        var packed = new byte[35];
        var absmax = new float[2];
        Nf4.Quantize(x, packed, absmax);
        Assert.Equal(35f, absmax[0]);
        Assert.Equal(34f, absmax[1]); // elements 64..69 → values 29..34
        var y = new float[70];
        Nf4.Dequantize(packed, absmax, y);
        Assert.Equal(34f, y[69]);
        Assert.Throws<ArgumentException>(() => Nf4.Quantize(new float[70], new byte[35], new float[1]));
        Assert.Throws<ArgumentException>(() => Nf4.Dequantize(new byte[3], new float[1], new float[7]));
    }
}
