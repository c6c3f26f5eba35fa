// AdamW step kernel vs the scalar twin (every length) and vs 10 steps of torch.optim.AdamW.
using TuneSharp.Tensors.Kernels;
using TuneSharp.Tensors.Kernels.Reference;
using TuneSharp.Testing;
using static TuneSharp.Tensors.Tests.ElementwiseTestData;

namespace TuneSharp.Tensors.Tests;

public sealed class AdamWTests
{
    [Fact]
    public void MatchesTwinForEveryLength()
    {
        foreach (int n in AllLengths.Append(50_001))
        {
            var rng = new Random(n);
            float[] p = Randn(rng, n), pe = (float[])p.Clone();
            float[] m = new float[n], v = new float[n], me = new float[n], ve = new float[n];
            for (int t = 1; t <= 3; t++)
            {
                var g = Randn(rng, n, t == 2 ? 1e-4 : 1.0);
                AdamWReference.Step<float>(pe, g, me, ve, 1e-3, 0.9, 0.95, 1e-8, 0.01, t);
                AdamW.Step(p, g, m, v, 1e-3, 0.9, 0.95, 1e-8, 0.01, t);
            }
            NumericAssert.Close(pe, p, Tolerances.ElementwiseRel, 0, $"param n={n}");
            NumericAssert.Close(me, m, Tolerances.ElementwiseRel, 0, $"exp_avg n={n}");
            NumericAssert.Close(ve, v, Tolerances.ElementwiseRel, 0, $"exp_avg_sq n={n}");
        }
    }

    [Fact]
    public void ValidatesArguments()
    {
        Assert.Throws<ArgumentException>(() => AdamW.Step(new float[3], new float[2], new float[3], new float[3], 1e-3, 0.9, 0.999, 1e-8, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => AdamW.Step(new float[3], new float[3], new float[3], new float[3], 1e-3, 0.9, 0.999, 1e-8, 0, 0));
        Assert.Throws<ArgumentException>(() => AdamW.Step(new float[3], new float[3], new float[3], new float[3], 1e-3, 1.0, 0.999, 1e-8, 0, 1));
    }

    [Fact]
    public void TenStepsMatchTorch()
    {
        var f = GoldenFixture.Load("ops/adamw_10_steps.json");
        int steps = f.Int("steps");
        double lr = f.Double("lr"), b1 = f.Double("beta1"), b2 = f.Double("beta2"), eps = f.Double("eps"), wd = f.Double("weight_decay");
        float[] p = f["param0"].AsFloats(), grads = f["grads"].AsFloats();
        int n = p.Length;
        float[] m = new float[n], v = new float[n];
        for (int t = 1; t <= steps; t++)
        {
            AdamW.Step(p, grads.AsSpan((t - 1) * n, n), m, v, lr, b1, b2, eps, wd, t);
            // ~1e-6 relative: the same float32 operation order as torch leaves only FMA/rounding-level differences.
            if (t == 1) NumericAssert.Close(f["param1"].AsFloats(), p, Tolerances.MatMulRtol / 10, 0, "param after step 1");
        }
        NumericAssert.Close(f["param"].AsFloats(), p, Tolerances.MatMulRtol / 10, 0, "param after 10 steps");
        NumericAssert.Close(f["exp_avg"].AsFloats(), m, Tolerances.MatMulRtol / 10, 0, "exp_avg");
        NumericAssert.Close(f["exp_avg_sq"].AsFloats(), v, Tolerances.MatMulRtol / 10, 0, "exp_avg_sq");
    }
}
