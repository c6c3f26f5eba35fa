// RoPE kernel (rotate_half convention, default and llama3 frequencies) vs the scalar twin, finite differences and PyTorch.
using TuneSharp.Tensors.Kernels;
using TuneSharp.Tensors.Kernels.Reference;
using TuneSharp.Testing;
using static TuneSharp.Tensors.Tests.ElementwiseTestData;
using static TuneSharp.Testing.Widening;

namespace TuneSharp.Tensors.Tests;

public sealed class RopeTests
{
    /// <summary>One float32 ulp, relative: inv_freq follows torch's float32 op order and may differ by at most this.</summary>
    private const double OneUlpRel = 1.2e-7;

    [Fact]
    public void MatchesTwinForOddShapes()
    {
        foreach (int tokens in new[] { 1, 2, 3, 5, 7 })
            foreach (int heads in new[] { 1, 2, 3 })
                foreach (int headDim in new[] { 2, 6, 16, 34, 64, 66, 128 })
                {
                    var rng = new Random(tokens * 10000 + heads * 1000 + headDim);
                    int n = tokens * heads * headDim;
                    var positions = Enumerable.Range(0, tokens).Select(t => t * 37 + rng.Next(5000)).ToArray();
                    var inv = Rope.InverseFrequencies(headDim, 10000.0);
                    float[] x = Randn(rng, n), e = new float[n], a = new float[n];
                    RopeReference.Forward<float>(x, positions, inv, e, heads, headDim);
                    Rope.Forward(x, positions, inv, a, heads, headDim);
                    string what = $"N={tokens} H={heads} D={headDim}";
                    NumericAssert.Close(e, a, Tolerances.ElementwiseRel, Tolerances.ElementwiseRel, "forward " + what);

                    RopeReference.Backward<float>(x, positions, inv, e, heads, headDim);
                    Rope.Backward(x, positions, inv, a, heads, headDim);
                    NumericAssert.Close(e, a, Tolerances.ElementwiseRel, Tolerances.ElementwiseRel, "backward " + what);

                    // The backward is the inverse rotation: Backward(Forward(x)) = x; in place is allowed.
                    var roundTrip = (float[])x.Clone();
                    Rope.Forward(roundTrip, positions, inv, roundTrip, heads, headDim);
                    Rope.Backward(roundTrip, positions, inv, roundTrip, heads, headDim);
                    NumericAssert.Close(x, roundTrip, Tolerances.MatMulRtol, Tolerances.MatMulAtol, "round trip " + what);
                }
    }

    [Fact]
    public void LargeCallTakesParallelPathAndMatchesTwin()
    {
        const int tokens = 257, heads = 4, headDim = 64;
        var rng = new Random(2);
        var positions = Enumerable.Range(0, tokens).Select(t => t + 8000).ToArray();
        var inv = Rope.InverseFrequencies(headDim, 500000.0, RopeScaling.Llama3(8.0, 1.0, 4.0, 8192));
        float[] x = Randn(rng, tokens * heads * headDim), e = new float[x.Length], a = new float[x.Length];
        RopeReference.Forward<float>(x, positions, inv, e, heads, headDim);
        Rope.Forward(x, positions, inv, a, heads, headDim);
        NumericAssert.Close(e, a, Tolerances.ElementwiseRel, Tolerances.ElementwiseRel, "large forward");
    }

    [Fact]
    public void GradientMatchesFiniteDifferences()
    {
        const int heads = 2, headDim = 8;
        int[] positions = [0, 3, 9000];
        var rng = new Random(4);
        var inv = Array.ConvertAll(Rope.InverseFrequencies(headDim, 10000.0), v => (double)v);
        int n = positions.Length * heads * headDim;
        double[] x = ToDouble(Randn(rng, n)), g = ToDouble(Randn(rng, n)), y = new double[n], dx = new double[n];
        double Loss()
        {
            RopeReference.Forward<double>(x, positions, inv, y, heads, headDim);
            return Dot(y, g);
        }
        var numeric = NumericGrad(x, Loss);
        RopeReference.Backward<double>(g, positions, inv, dx, heads, headDim);
        NumericAssert.GradClose(numeric, dx, "rope dx");
    }

    [Fact]
    public void ValidatesArguments()
    {
        Assert.Throws<ArgumentException>(() => Rope.InverseFrequencies(7, 10000));
        Assert.Throws<NotSupportedException>(() => Rope.InverseFrequencies(8, 10000, new RopeScaling("yarn", 4, 1, 4, 8192)));
        var inv = Rope.InverseFrequencies(8, 10000);
        var ex = Assert.Throws<ArgumentException>(() => Rope.Forward(new float[16], [0, 1], inv, new float[15], 1, 8));
        Assert.Contains("length", ex.Message);
    }

    private static RopeScaling? Scaling(GoldenFixture f) => f.String("rope_type") == "llama3"
        ? RopeScaling.Llama3(f.Double("factor"), f.Double("low_freq_factor"), f.Double("high_freq_factor"), f.Int("original_max_position_embeddings"))
        : null;

    [Theory]
    [InlineData("rope_default")]
    [InlineData("rope_llama3")]
    public void MatchesTorch(string name)
    {
        var f = GoldenFixture.Load($"ops/{name}.json");
        int heads = f.Int("heads"), headDim = f.Int("head_dim");
        var inv = Rope.InverseFrequencies(headDim, f.Double("theta"), Scaling(f));
        // Same float32 op order as torch: inv_freq should agree to the last bit (1e-7 relative allows one ulp).
        NumericAssert.Close(f["inv_freq"].AsFloats(), inv, OneUlpRel, 0, name + " inv_freq");

        var positions = f["positions"].AsInts();
        int half = headDim / 2;
        float[] cos = new float[positions.Length * half], sin = new float[cos.Length];
        Rope.CosSin(inv, positions, cos, sin);
        NumericAssert.Close(f["cos"].AsFloats(), cos, Tolerances.TorchForwardRtol, Tolerances.TorchForwardAtol, name + " cos");
        NumericAssert.Close(f["sin"].AsFloats(), sin, Tolerances.TorchForwardRtol, Tolerances.TorchForwardAtol, name + " sin");

        float[] x = f["x"].AsFloats(), g = f["grad_out"].AsFloats(), y = new float[x.Length], dx = new float[x.Length];
        Rope.Forward(x, cos, sin, y, positions.Length, heads, headDim);
        Rope.Backward(g, cos, sin, dx, positions.Length, heads, headDim);
        NumericAssert.Close(f["out"].AsFloats(), y, Tolerances.TorchForwardRtol, Tolerances.TorchForwardAtol, name + " out");
        NumericAssert.Close(f["grad_x"].AsFloats(), dx, Tolerances.TorchGradRtol, Tolerances.TorchGradAtol, name + " grad_x");
    }

    [Theory]
    [InlineData("rope_llama3_invfreq64")]
    [InlineData("rope_default_invfreq128")]
    public void InverseFrequenciesMatchTorch(string name)
    {
        var f = GoldenFixture.Load($"ops/{name}.json");
        var inv = Rope.InverseFrequencies(f.Int("head_dim"), f.Double("theta"), Scaling(f));
        NumericAssert.Close(f["inv_freq"].AsFloats(), inv, OneUlpRel, 0, name);
    }
}
