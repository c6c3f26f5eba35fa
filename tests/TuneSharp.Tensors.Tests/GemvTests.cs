// Gemv (BF16 weights, m ≤ 8) against its scalar twin for every row count, odd k (tail paths), serial and parallel, accumulate.
using TuneSharp.Tensors.Kernels;
using TuneSharp.Tensors.Kernels.Reference;
using TuneSharp.Testing;

namespace TuneSharp.Tensors.Tests;

[Collection(GemmCollection.Name)]
public sealed class GemvTests
{
    [Theory]
    [InlineData(1, 7, 5)]
    [InlineData(1, 300, 576)]
    [InlineData(3, 33, 47)]
    [InlineData(4, 129, 64)]
    [InlineData(5, 257, 100)]
    [InlineData(8, 200, 300)]
    [InlineData(8, 1031, 600)]   // m·n·k over the batched threshold: split over the pool, odd n (a single last row)
    [InlineData(2, 2049, 1030)]
    public void MatchesReference(int m, int n, int k)
    {
        var rng = new Random(m * 1000 + n + k);
        var x = new float[m * k];
        var w = new BFloat16[n * k];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < w.Length; i++) w[i] = (BFloat16)(float)(rng.NextDouble() * 2 - 1);
        foreach (bool accumulate in new[] { false, true })
        {
            var y = new float[m * n];
            var r = new float[m * n];
            for (int i = 0; i < y.Length; i++) y[i] = r[i] = i * 0.01f;
            Gemv.MatMulTransB(x, w, y, m, n, k, accumulate);
            GemvReference.MatMulTransB(x, w, r, m, n, k, accumulate);
            NumericAssert.Close(r, y, Tolerances.MatMulRtol, 1e-5, $"gemv m={m} n={n} k={k} acc={accumulate}");
        }
    }

    [Fact]
    public void RejectsBadSizes()
    {
        Assert.Throws<ArgumentException>(() => Gemv.MatMulTransB(new float[9 * 4], new BFloat16[4], new float[9], 9, 1, 4));
        Assert.Throws<ArgumentException>(() => Gemv.MatMulTransB(new float[3], new BFloat16[4], new float[1], 1, 1, 4));
    }
}
