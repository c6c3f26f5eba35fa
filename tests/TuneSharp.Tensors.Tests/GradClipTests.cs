// Global-norm gradient clipping vs the scalar twin and torch.nn.utils.clip_grad_norm_, including non-finite norms.
using TuneSharp.Tensors.Kernels;
using TuneSharp.Tensors.Kernels.Reference;
using TuneSharp.Testing;
using static TuneSharp.Tensors.Tests.ElementwiseTestData;

namespace TuneSharp.Tensors.Tests;

public sealed class GradClipTests
{
    [Fact]
    public void SumOfSquaresMatchesTwinForEveryLength()
    {
        foreach (int n in AllLengths)
        {
            var x = Randn(new Random(n), n, 3.0);
            double expected = GradClipReference.GlobalNorm([x]);
            double actual = Math.Sqrt(GradClip.SumOfSquares(x));
            NumericAssert.Close([expected], [actual], Tolerances.MatMulRtol / 1000, 0, $"norm n={n}");
        }
    }

    [Fact]
    public void ClipMatchesTwin()
    {
        var rng = new Random(1);
        float[][] a = [Randn(rng, 100), Randn(rng, 7), Randn(rng, 1000)];
        float[][] b = a.Select(x => (float[])x.Clone()).ToArray();
        double ne = GradClipReference.ClipByGlobalNorm(a, 2.0);
        double na = GradClip.ClipByGlobalNorm([b[0], b[1], b[2]], 2.0);
        NumericAssert.Close([ne], [na], Tolerances.MatMulRtol / 1000, 0, "total norm");
        for (int i = 0; i < a.Length; i++) NumericAssert.Close(a[i], b[i], Tolerances.ElementwiseRel, 0, $"clipped grad {i}");
        Assert.Throws<ArgumentOutOfRangeException>(() => GradClip.ClipByGlobalNorm([b[0]], 0));
    }

    [Fact]
    public void NonFiniteNormIsReportedAndGradsAreLeftAlone()
    {
        float[] g1 = [1f, 2f], g2 = [float.NaN, 3f], g3 = [float.PositiveInfinity, 1f];
        Assert.True(double.IsNaN(GradClip.ClipByGlobalNorm([g1, g2], 1.0)));
        Assert.Equal([1f, 2f], g1);
        Assert.True(double.IsPositiveInfinity(GradClip.ClipByGlobalNorm([g1, g3], 1.0)));
        Assert.Equal([1f, 2f], g1);
        Assert.Equal(0.0, GradClip.GlobalNorm([]));
    }

    [Theory]
    [InlineData("gradclip_clipped")]
    [InlineData("gradclip_unclipped")]
    public void MatchesTorch(string name)
    {
        var f = GoldenFixture.Load($"ops/{name}.json");
        int count = f.Int("count");
        var grads = Enumerable.Range(0, count).Select(i => f[$"grad{i}"].AsFloats()).ToArray();
        var memories = grads.Select(g => new Memory<float>(g)).ToArray();
        double total = GradClip.ClipByGlobalNorm(memories, f.Double("max_norm"));
        NumericAssert.Close(f["total_norm"].AsDoubles(), [total], Tolerances.TorchForwardRtol, Tolerances.TorchForwardAtol, name + " total_norm");
        for (int i = 0; i < count; i++)
            NumericAssert.Close(f[$"clipped{i}"].AsFloats(), grads[i], Tolerances.TorchForwardRtol, Tolerances.TorchForwardAtol, $"{name} clipped{i}");
    }
}
