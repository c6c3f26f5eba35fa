// Finite-difference gradient check through the F32 ops: fourth-order central differences of a random projection of the output.
using TuneSharp.Autograd;
using TuneSharp.Tensors;
using TuneSharp.Testing;

namespace TuneSharp.Autograd.Tests;

/// <summary>
/// Compares analytic gradients with finite differences of L = Σ out ⊙ r (r fixed random, L summed in float64).
/// The kernels are float32 only (no float64 twins), so the STYLE.md float64 bound (1e-6 + 1e-5·|n|) is out of reach:
/// rounding in a float32 forward perturbs L by ~1e-7·√n·|out|, which a step h turns into ~1e-7·√n/h of derivative
/// noise. We therefore use the fourth-order stencil (8(f₊ₕ − f₋ₕ) − (f₊₂ₕ − f₋₂ₕ)) / 12h with h = 1e-2 (truncation
/// O(h⁴) ≈ 1e-8, observed noise ≤ 2e-5 for the sizes here) and the float32 bound |a − n| ≤ <see cref="Atol"/>·max(1, ‖n‖∞)
/// + <see cref="Rtol"/>·|n| (2e-4, 1e-3): about 10× the worst error seen over all checks, and far below what any
/// wrong term (a missing factor, a dropped branch, a transposed index) produces.
/// </summary>
internal static class GradCheck
{
    public const double H = 1e-2;
    public const double Atol = 2e-4;
    public const double Rtol = 1e-3;

    /// <summary>
    /// Checks d(Σ out ⊙ r)/d(v) for every v in <paramref name="wrt"/> (F32 leaves that require grad) at up to
    /// <paramref name="samples"/> elements each (all when 0). <paramref name="forward"/> builds the graph on the tape it gets.
    /// </summary>
    public static void Check(Func<Tape, Variable> forward, Variable[] wrt, int samples = 0, int seed = 1, ulong tapeSeed = 7)
    {
        foreach (var v in wrt) v.ClearGrad();
        float[] r;
        using (var tape = new Tape(tapeSeed))
        {
            var y = forward(tape);
            r = Random(checked((int)y.Value.ElementCount), seed, 1f);
            tape.Backward(y, r);
        }
        var rng = new System.Random(seed + 1);
        foreach (var v in wrt)
        {
            Assert.NotNull(v.Grad);
            var analytic = v.Grad!.ToFloatArray();
            var tensor = v.Value;
            int count = checked((int)tensor.ElementCount);
            int[] idx = samples <= 0 || samples >= count
                ? Enumerable.Range(0, count).ToArray()
                : Enumerable.Range(0, samples).Select(_ => rng.Next(count)).Distinct().ToArray();
            var numeric = new double[idx.Length];
            var picked = new double[idx.Length];
            for (int s = 0; s < idx.Length; s++)
            {
                int i = idx[s];
                float x0 = tensor.Span[i];
                double F(double d)
                {
                    tensor.Span[i] = (float)(x0 + d);
                    return Eval(forward, r, tapeSeed);
                }
                double fp1 = F(H), fm1 = F(-H), fp2 = F(2 * H), fm2 = F(-2 * H);
                tensor.Span[i] = x0;
                numeric[s] = (8 * (fp1 - fm1) - (fp2 - fm2)) / (12 * H);
                picked[s] = analytic[i];
            }
            double scale = Math.Max(1, numeric.Select(Math.Abs).DefaultIfEmpty(0).Max());
            NumericAssert.Close(numeric, picked, Rtol, Atol * scale, $"gradient of '{v.Name}'");
            v.ClearGrad();
        }
    }

    /// <summary>Σ out ⊙ r in float64 from a no-grad forward.</summary>
    public static double Eval(Func<Tape, Variable> forward, float[] r, ulong tapeSeed)
    {
        using var tape = new Tape(tapeSeed);
        using var _ = tape.NoGrad();
        var y = forward(tape);
        var o = y.Value.Span;
        double sum = 0;
        for (int i = 0; i < o.Length; i++) sum += (double)o[i] * r[i];
        return sum;
    }

    public static float[] Random(int n, int seed, float scale)
    {
        var rng = new System.Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    /// <summary>A trainable F32 leaf with uniform values in [−scale, scale).</summary>
    public static Variable Param(string name, int seed, float scale, params int[] shape)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        return Variable.Parameter(Tensor.FromArray(Random((int)n, seed, scale), shape), trainable: true, name);
    }
}
