// Global gradient-norm clipping with torch.nn.utils.clip_grad_norm_ semantics (L2, clip_coef = max_norm/(norm+1e-6) ≤ 1).
// Scalar twin: Reference/GradClipReference.cs.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TuneSharp.Tensors.Kernels;

/// <summary>
/// Norms accumulate squares in double (more exact than torch's per-tensor fp32 norms; agreement is ~1e-7 relative).
/// A NaN/∞ total norm is returned as is and the gradients are left untouched, so the caller can skip the step
/// (torch would multiply by the NaN/0 coefficient).
/// </summary>
public static unsafe class GradClip
{
    /// <summary>Σ x² of one span, accumulated in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SumOfSquares(ReadOnlySpan<float> x)
    {
        double sum = 0;
        int i = 0, n = x.Length;
        fixed (float* p = x)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                var acc = Vector512<double>.Zero;
                for (; i <= n - 16; i += 16)
                {
                    var (lo, hi) = Vector512.Widen(Vector512.Load(p + i));
                    acc = Vector512.FusedMultiplyAdd(lo, lo, acc);
                    acc = Vector512.FusedMultiplyAdd(hi, hi, acc);
                }
                sum = Vector512.Sum(acc);
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                var acc = Vector256<double>.Zero;
                for (; i <= n - 8; i += 8)
                {
                    var (lo, hi) = Vector256.Widen(Vector256.Load(p + i));
                    acc = Vector256.FusedMultiplyAdd(lo, lo, acc);
                    acc = Vector256.FusedMultiplyAdd(hi, hi, acc);
                }
                sum = Vector256.Sum(acc);
            }
            for (; i < n; i++) sum += (double)p[i] * p[i];
        }
        return sum;
    }

    /// <summary>√(Σ over all spans of Σ g²): the L2 norm of all gradients viewed as one vector.</summary>
    public static double GlobalNorm(ReadOnlySpan<Memory<float>> grads)
    {
        double sum = 0;
        foreach (var g in grads) sum += SumOfSquares(g.Span);
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// clip_grad_norm_(grads, maxNorm): computes the total norm, and when it is finite multiplies every gradient in
    /// place by min(1, maxNorm / (norm + 1e-6)) (in float32, like torch). Returns the total norm before clipping.
    /// </summary>
    public static double ClipByGlobalNorm(ReadOnlySpan<Memory<float>> grads, double maxNorm)
    {
        if (!(maxNorm > 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "GradClip.ClipByGlobalNorm: max_norm must be > 0.");
        double total = GlobalNorm(grads);
        if (!double.IsFinite(total)) return total;
        float coef = ClipCoefficient(total, maxNorm);
        // torch multiplies even when the clamped coefficient is 1; that is an exact no-op, so skip it.
        if (coef < 1f)
            foreach (var g in grads) Elementwise.Scale(g.Span, coef, g.Span);
        return total;
    }

    /// <summary>min(1, maxNorm / (norm + 1e-6)) computed in float32 like torch's tensor arithmetic.</summary>
    public static float ClipCoefficient(double totalNorm, double maxNorm)
    {
        float denom = (float)totalNorm + 1e-6f;
        float coef = (1f / denom) * (float)maxNorm; // torch: `scalar / tensor` is reciprocal(tensor) * scalar
        return MathF.Min(coef, 1f);
    }
}
