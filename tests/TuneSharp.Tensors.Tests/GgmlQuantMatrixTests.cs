// GgmlQuantMatrix (weights kept in their ggml type, activations quantized per block) against its scalar twin and
// against the float product of the dequantized weights.
using TuneSharp.Tensors.IO.Gguf;
using TuneSharp.Tensors.Kernels.Quant;
using TuneSharp.Tensors.Kernels.Reference.Quant;

namespace TuneSharp.Tensors.Tests;

public sealed class GgmlQuantMatrixTests
{
    public static TheoryData<GgmlType, GgmlDotIsa, int, int> Cases()
    {
        var data = new TheoryData<GgmlType, GgmlDotIsa, int, int>();
        foreach (var type in new[] { GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K })
            foreach (var isa in Enum.GetValues<GgmlDotIsa>())
            {
                data.Add(type, isa, 512, 5); // one full tile of 4 activation rows and a remainder
                // Decode (one row) and, for the 32-value blocks, a width that is not a multiple of 256 (SmolLM2's 576).
                data.Add(type, isa, type is GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q5_0 ? 576 : 256, 1);
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesScalarTwinAndDequantizedProduct(GgmlType type, GgmlDotIsa isa, int k, int m)
    {
        const int n = 40;
        const double maxRelError = 0.02;
        if (isa > GgmlQuantMatrix.BestIsa) return; // this CPU lacks the instruction set
        var saved = GgmlQuantMatrix.Isa;
        GgmlQuantMatrix.Isa = isa;
        try { Check(type, n, k, m, maxRelError); }
        finally { GgmlQuantMatrix.Isa = saved; }
    }

    private static void Check(GgmlType type, int n, int k, int m, double maxRelError)
    {
        var rng = new Random((int)type);
        var w = new float[n * k];
        for (int i = 0; i < w.Length; i++) w[i] = (rng.NextSingle() - 0.5f) * 0.2f;
        var x = new float[m * k];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle() * 2 - 1;
        var bytes = new byte[GgmlQuant.ByteCount(type, w.Length)];
        GgmlQuant.Quantize(type, w, bytes);
        var mat = new GgmlQuantMatrix(type, n, k, bytes);
        Assert.Equal(bytes.LongLength, mat.ResidentBytes);
        var y = new float[m * n];
        mat.MatMulTransB(x, y, m);

        var deq = new float[w.Length];
        GgmlQuant.Dequantize(type, bytes, deq);
        int rowBytes = bytes.Length / n;
        double err = 0, norm = 0;
        for (int i = 0; i < m; i++)
        {
            var qx = QuantMatMulReference.QuantizeActivations(x.AsSpan(i * k, k), mat.IsKQuant);
            for (int j = 0; j < n; j++)
            {
                float twin = QuantMatMulReference.Dot(type, bytes.AsSpan(j * rowBytes, rowBytes), qx);
                Assert.True(Math.Abs(twin - y[i * n + j]) <= 1e-5f * Math.Max(1, Math.Abs(twin)), $"{type} {GgmlQuantMatrix.Isa}: fast {y[i * n + j]} vs twin {twin} at ({i}, {j})");
                double exact = 0;
                for (int c = 0; c < k; c++) exact += (double)deq[j * k + c] * x[i * k + c];
                err += (exact - y[i * n + j]) * (exact - y[i * n + j]);
                norm += exact * exact;
            }
        }
        Assert.True(Math.Sqrt(err / norm) < maxRelError, $"{type}: relative error vs the dequantized product {Math.Sqrt(err / norm)}");
    }

    [Fact]
    public void RejectsMisshapedInput()
    {
        var bytes = new byte[GgmlQuant.ByteCount(GgmlType.Q8_0, 64)];
        Assert.Throws<ArgumentException>(() => new GgmlQuantMatrix(GgmlType.Q8_0, 2, 64, bytes));
        var mat = new GgmlQuantMatrix(GgmlType.Q8_0, 2, 32, bytes);
        Assert.Throws<ArgumentException>(() => mat.MatMulTransB(new float[33], new float[2], 1));
        Assert.Throws<NotSupportedException>(() => new GgmlQuantMatrix(GgmlType.Q5_1, 1, 32, new byte[24]));
    }
}
