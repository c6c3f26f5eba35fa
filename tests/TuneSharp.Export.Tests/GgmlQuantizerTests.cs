// Our GGUF quantizers against ggml's own (ggml_quantize_chunk from LLamaSharp.Backend.Cpu's libggml-base): bit for bit.
using TuneSharp.Tensors.IO.Gguf;
using TuneSharp.Tensors.Kernels.Quant;

namespace TuneSharp.Export.Tests;

public sealed class GgmlQuantizerTests
{
    public static TheoryData<GgmlType> Types => new()
    {
        GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
    };

    /// <summary>Rows of different character: gaussian, zeros, a few non-zeros, tiny (subnormal f16 scales), huge, constant, one outlier.</summary>
    private static float[] Rows(int rows, int perRow, int seed)
    {
        var rng = new Random(seed);
        var x = new float[rows * perRow];
        for (int r = 0; r < rows; r++)
        {
            var row = x.AsSpan(r * perRow, perRow);
            float Gauss() => (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
            switch (r % 8)
            {
                case 0: for (int i = 0; i < perRow; i++) row[i] = Gauss() * 0.02f; break;
                case 1: break; // zeros
                case 2: for (int i = 0; i < perRow; i += 37) row[i] = Gauss(); break;
                case 3: for (int i = 0; i < perRow; i++) row[i] = Gauss() * 1e-7f; break;
                case 4: for (int i = 0; i < perRow; i++) row[i] = Gauss() * 3e4f; break;
                case 5: row.Fill(0.5f); break;
                case 6: for (int i = 0; i < perRow; i++) row[i] = Gauss(); row[rng.Next(perRow)] = 40f; break;
                default: for (int i = 0; i < perRow; i++) row[i] = rng.NextSingle() - 0.9f; break;
            }
        }
        return x;
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void BitIdenticalToGgml(GgmlType type)
    {
        const int rows = 32, perRow = 512;
        var x = Rows(rows, perRow, seed: (int)type);
        long bytes = GgmlQuant.ByteCount(type, x.Length);
        var ours = new byte[bytes];
        GgmlQuant.Quantize(type, x, ours);
        var theirs = LlamaCppNative.Quantize((uint)type, x, rows, perRow, bytes);
        long rowBytes = bytes / rows;
        for (int r = 0; r < rows; r++)
        {
            var a = ours.AsSpan((int)(r * rowBytes), (int)rowBytes);
            var b = theirs.AsSpan((int)(r * rowBytes), (int)rowBytes);
            int at = a.CommonPrefixLength(b);
            if (at != a.Length) Assert.Fail($"{type}: row {r} (kind {r % 8}) differs from ggml at byte {at} of {a.Length}: ours {a[at]}, ggml {b[at]}");
        }
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void NonFiniteInputIsRefused(float bad)
    {
        var x = new float[256];
        x[77] = bad;
        var e = Assert.Throws<ArgumentException>(() => GgmlQuant.Quantize(GgmlType.Q4_K, x, new byte[144]));
        Assert.Contains("index 77", e.Message);
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void DequantizeInvertsWithinBlockError(GgmlType type)
    {
        var x = Rows(8, 256, 3);
        var q = new byte[GgmlQuant.ByteCount(type, x.Length)];
        GgmlQuant.Quantize(type, x, q);
        var y = new float[x.Length];
        GgmlQuant.Dequantize(type, q, y);
        // Gaussian row (kind 0) only: relative RMS error by type.
        double err = 0, norm = 0;
        for (int i = 0; i < 256; i++) { err += (x[i] - y[i]) * (double)(x[i] - y[i]); norm += x[i] * (double)x[i]; }
        Assert.True(Math.Sqrt(err / norm) < 0.2, $"{type}: relative RMS error {Math.Sqrt(err / norm)}");
    }
}
