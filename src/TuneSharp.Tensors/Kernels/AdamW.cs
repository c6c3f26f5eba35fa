// One AdamW step over a parameter span, in torch.optim.AdamW's operation order (torch/optim/adamw.py
// _single_tensor_adamw, non-foreach, amsgrad=False, maximize=False). Scalar twin: Reference/AdamWReference.cs.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TuneSharp.Tensors.Kernels;

/// <summary>
/// param, grad, m (exp_avg), v (exp_avg_sq): (n) F32. Hyperparameters are doubles like Python floats; torch computes
/// the scalar terms in double and rounds them to float32 where they meet a tensor, which is mirrored here:
/// p ← p·(1 − lr·wd); m ← m·β1 + (1−β1)·g (torch's vectorized add uses an FMA); v ← v·β2 + ((1−β2)·g)·g;
/// denom = √v / √(1−β2ᵗ) + eps; p ← p + (−lr/(1−β1ᵗ))·(m / denom).
/// </summary>
public static unsafe class AdamW
{
    /// <summary>
    /// Updates param, m and v in place. <paramref name="step"/> is the 1-based step count after incrementing
    /// (torch's state['step'] at the time of the update).
    /// </summary>
    public static void Step(Span<float> param, ReadOnlySpan<float> grad, Span<float> m, Span<float> v,
        double lr, double beta1, double beta2, double eps, double weightDecay, long step)
    {
        int n = param.Length;
        if (grad.Length != n || m.Length != n || v.Length != n)
            throw new ArgumentException($"AdamW.Step: param ({n}), grad ({grad.Length}), exp_avg ({m.Length}) and exp_avg_sq ({v.Length}) lengths differ.");
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), step, "AdamW.Step: step count must be ≥ 1 (the incremented torch state['step']).");
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
            throw new ArgumentException($"AdamW.Step: betas must be in [0, 1), got ({beta1}, {beta2}).");
        var c = Coefficients.Create(lr, beta1, beta2, eps, weightDecay, step);
        fixed (float* pp = param, pg = grad, pm = m, pv = v)
        {
            nint a = (nint)pp, b = (nint)pg, d = (nint)pm, e = (nint)pv;
            ElementwiseParallel.For(n, 4, (i0, i1) => Core((float*)a + i0, (float*)b + i0, (float*)d + i0, (float*)e + i0, i1 - i0, c));
        }
    }

    /// <summary>The float32 scalars of one step, rounded from double exactly where torch rounds them.</summary>
    internal readonly record struct Coefficients(float Decay, float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2,
        float BiasCorrection2Sqrt, float Eps, float NegStepSize)
    {
        internal static Coefficients Create(double lr, double beta1, double beta2, double eps, double weightDecay, long step)
        {
            double bc1 = 1 - Math.Pow(beta1, step);
            double bc2 = 1 - Math.Pow(beta2, step);
            return new((float)(1 - lr * weightDecay), (float)beta1, (float)(1 - beta1), (float)beta2, (float)(1 - beta2),
                (float)Math.Sqrt(bc2), (float)eps, (float)(-(lr / bc1)));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Core(float* p, float* g, float* m, float* v, int n, Coefficients c)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var decay = Vector512.Create(c.Decay);
            var b1 = Vector512.Create(c.Beta1);
            var omb1 = Vector512.Create(c.OneMinusBeta1);
            var b2 = Vector512.Create(c.Beta2);
            var omb2 = Vector512.Create(c.OneMinusBeta2);
            var bc2 = Vector512.Create(c.BiasCorrection2Sqrt);
            var eps = Vector512.Create(c.Eps);
            var step = Vector512.Create(c.NegStepSize);
            for (; i <= n - 16; i += 16)
            {
                var vg = Vector512.Load(g + i);
                var vp = Vector512.Load(p + i) * decay;
                var vm = Vector512.FusedMultiplyAdd(vg, omb1, Vector512.Load(m + i) * b1);
                var vv = Vector512.Load(v + i) * b2 + omb2 * vg * vg;
                var denom = Vector512.Sqrt(vv) / bc2 + eps;
                Vector512.Store(vp + step * (vm / denom), p + i);
                Vector512.Store(vm, m + i);
                Vector512.Store(vv, v + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var decay = Vector256.Create(c.Decay);
            var b1 = Vector256.Create(c.Beta1);
            var omb1 = Vector256.Create(c.OneMinusBeta1);
            var b2 = Vector256.Create(c.Beta2);
            var omb2 = Vector256.Create(c.OneMinusBeta2);
            var bc2 = Vector256.Create(c.BiasCorrection2Sqrt);
            var eps = Vector256.Create(c.Eps);
            var step = Vector256.Create(c.NegStepSize);
            for (; i <= n - 8; i += 8)
            {
                var vg = Vector256.Load(g + i);
                var vp = Vector256.Load(p + i) * decay;
                var vm = Vector256.FusedMultiplyAdd(vg, omb1, Vector256.Load(m + i) * b1);
                var vv = Vector256.Load(v + i) * b2 + omb2 * vg * vg;
                var denom = Vector256.Sqrt(vv) / bc2 + eps;
                Vector256.Store(vp + step * (vm / denom), p + i);
                Vector256.Store(vm, m + i);
                Vector256.Store(vv, v + i);
            }
        }
        for (; i < n; i++)
        {
            float gi = g[i];
            float pi = p[i] * c.Decay;
            float mi = MathF.FusedMultiplyAdd(gi, c.OneMinusBeta1, m[i] * c.Beta1);
            float vi = v[i] * c.Beta2 + c.OneMinusBeta2 * gi * gi;
            float denom = MathF.Sqrt(vi) / c.BiasCorrection2Sqrt + c.Eps;
            p[i] = pi + c.NegStepSize * (mi / denom);
            m[i] = mi;
            v[i] = vi;
        }
    }
}
