// Finite-difference checks of the per-token LM-head log-prob op (float64 reference twin and F32 differences), its
// forward against the CE kernel and log-softmax, and of the ScalarFunction op.
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;
using TuneSharp.Tensors;
using TuneSharp.Tensors.Kernels;
using TuneSharp.Tensors.Kernels.Reference;
using TuneSharp.Testing;
using Xunit.Abstractions;

namespace TuneSharp.Autograd.Tests;

public sealed class TokenLogProbsGradientTests(ITestOutputHelper output)
{
    private static readonly int[] Labels = [3, -100, 10, 0, -100, 7];

    [Theory]
    [InlineData(false, 0f)]
    [InlineData(true, 0f)]
    [InlineData(false, 3f)]
    [InlineData(true, 3f)]
    public void LmHeadTokenLogProbs_GradientsMatchFloat64Twin(bool trainableHead, float softCap)
    {
        int n = 6, c = 5, vocab = 11;
        var h = GradCheck.Param("hidden", 1, 1f, n, c);
        var w = Variable.Parameter(Tensor.FromArray(GradCheck.Random(vocab * c, 2, 1f), vocab, c), trainableHead, "lm_head");
        Variable[] wrt = trainableHead ? [h, w] : [h];
        GradCheck.Check(t => t.LmHeadTokenLogProbs(h, w, Labels, softCap), wrt);
        var wd = Widening.ToDouble(w.Value.ToFloatArray());
        double worst = GradCheck.CheckTwin(t => t.LmHeadTokenLogProbs(h, w, Labels, softCap), wrt, l =>
        {
            var logp = new double[n];
            LmHeadCrossEntropyReference.TokenLogProbs<double>(l[0], trainableHead ? l[1] : wd, Labels, default, n, c, vocab, softCap, logp, default, default, default);
            return logp;
        });
        output.WriteLine($"LmHeadTokenLogProbs trainableHead={trainableHead} softcap={softCap}: worst |a − n| / bound = {worst:F4}");
        if (!trainableHead) Assert.Null(w.Grad);
    }

    [Fact]
    public void TokenLogProbs_AreMinusCrossEntropyAndLogSoftmax_WithLogitSums()
    {
        int n = 6, c = 7, vocab = 300;
        var hidden = GradCheck.Random(n * c, 3, 1f);
        var weight = GradCheck.Random(vocab * c, 4, 1f);
        var logp = new float[n];
        var sums = new float[n];
        LmHeadCrossEntropy.TokenLogProbs(hidden, weight, Labels, default, logp, sums, default, default, n, c, vocab);
        var ce = LmHeadCrossEntropy.Forward(hidden, weight, Labels, n, c, vocab);
        Assert.Equal(-ce.LossSum, logp.Sum(x => (double)x), 4);
        var rl = new double[n];
        var rs = new double[n];
        LmHeadCrossEntropyReference.TokenLogProbs<double>(Widening.ToDouble(hidden), Widening.ToDouble(weight), Labels, default, n, c, vocab, 0, rl, rs, default, default);
        NumericAssert.Close(rl, Widening.ToDouble(logp), Tolerances.MatMulRtol, Tolerances.MatMulAtol, "token log-probs vs float64 reference");
        NumericAssert.Close(rs, Widening.ToDouble(sums), 1e-5, 1e-4, "logit sums vs float64 reference");
        Assert.Equal(0f, logp[1]);
        Assert.Equal(0f, sums[4]);
    }

    [Fact]
    public void TokenLogProbs_RowScalesScaleEachRowsGradient()
    {
        int n = 6, c = 4, vocab = 12;
        var hidden = GradCheck.Random(n * c, 5, 1f);
        var weight = GradCheck.Random(vocab * c, 6, 1f);
        float[] scales = [0.5f, 9f, -2f, 0f, 3f, 1.5f];
        var logp = new float[n];
        var dh = new float[n * c];
        var dw = new float[vocab * c];
        LmHeadCrossEntropy.TokenLogProbs(hidden, weight, Labels, scales, logp, default, dh, dw, n, c, vocab, chunkRows: 2);
        var rdh = new double[n * c];
        var rdw = new double[vocab * c];
        LmHeadCrossEntropyReference.TokenLogProbs<double>(Widening.ToDouble(hidden), Widening.ToDouble(weight), Labels, Widening.ToDouble(scales),
            n, c, vocab, 0, new double[n], default, rdh, rdw);
        NumericAssert.Close(rdh, Widening.ToDouble(dh), Tolerances.MatMulRtol, Tolerances.MatMulAtol, "dhidden with row scales");
        NumericAssert.Close(rdw, Widening.ToDouble(dw), Tolerances.MatMulRtol, Tolerances.MatMulAtol, "dweight with row scales");
    }

    [Fact]
    public void ScalarFunction_BackPropagatesTheSuppliedGradient()
    {
        var x = GradCheck.Param("x", 7, 1f, 5);
        // f(x) = Σ x_i² · (i + 1) / 2 + log(1 + e^{x_0}); ∂f/∂x_i = x_i (i + 1) + [i = 0] σ(x_0).
        ScalarFunction f = (v, g) =>
        {
            double s = Math.Log(1 + Math.Exp(v[0]));
            g.Clear();
            for (int i = 0; i < v.Length; i++)
            {
                s += v[i] * (double)v[i] * (i + 1) / 2;
                g[i] = v[i] * (double)(i + 1);
            }
            g[0] += 1 / (1 + Math.Exp(-v[0]));
            return s;
        };
        GradCheck.Check(t => t.ScalarFunction(x, f), [x]);
    }
}
