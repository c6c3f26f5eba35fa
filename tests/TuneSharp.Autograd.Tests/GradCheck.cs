// Finite-difference gradient checks of the tape ops: float64-twin central differences (STYLE.md bound) and F32 fourth-order differences.
using TuneSharp.Autograd;
using TuneSharp.Tensors;
using TuneSharp.Testing;

namespace TuneSharp.Autograd.Tests;

/// <summary>
/// Two checks of the analytic gradients of L = Σ out ⊙ r (r fixed random, the same r in both for a given seed):
/// <list type="bullet">
/// <item><see cref="CheckTwin"/> — the STYLE.md finite-difference rule. The tape runs forward + backward in float32
/// for the analytic gradient; the numeric gradient comes from central differences of a float64 twin of the same
/// function, written by the test from the generic reference kernels at T = double (Kernels/Reference). The twin's
/// forward is first asserted equal to the tape's at the float32 matmul/reduction bound, which proves it is the same
/// function; then |a − n| ≤ 1e-6 + 1e-5·|n| (<see cref="Tolerances.FiniteDiffAtol"/>, <see cref="Tolerances.FiniteDiffRtol"/>).
/// In float64, h = 1e-6·max(1, |x|) leaves truncation (~h²) and rounding (~1e-16·Σ|out·r|/h) noise near 1e-10,
/// so what the bound measures is the float32 rounding of the analytic gradient itself — tests keep shapes small so
/// that stays well inside it (worst seen over OpGradientTests: 0.075 of the bound, attention).</item>
/// <item><see cref="Check"/> — differences through the float32 tape forward itself, end to end with no twin to write:
/// it exercises the real F32 forward too, and serves graphs too large or irregular to twin. Rounding in a
/// float32 forward perturbs L by ~1e-7·√n·|out|, which a step h turns into ~1e-7·√n/h of derivative noise, so it uses
/// the fourth-order stencil (8(f₊ₕ − f₋ₕ) − (f₊₂ₕ − f₋₂ₕ)) / 12h with h = 1e-2 (truncation O(h⁴) ≈ 1e-8, observed
/// noise ≤ 2e-5 for the sizes here) and the looser float32 bound |a − n| ≤ <see cref="Atol"/>·max(1, ‖n‖∞)
/// + <see cref="Rtol"/>·|n| (2e-4, 1e-3): about 10× the worst error seen over all checks, and far below what any
/// wrong term (a missing factor, a dropped branch, a transposed index) produces.</item>
/// </list>
/// </summary>
internal static class GradCheck
{
    public const double H = 1e-2;
    public const double Atol = 2e-4;
    public const double Rtol = 1e-3;

    /// <summary>Relative float64 step of <see cref="CheckTwin"/>: h = TwinH·max(1, |x|).</summary>
    public const double TwinH = 1e-6;

    /// <summary>Twin forward vs tape forward: the float32 matmul/reduction bound (the tape side is float32).</summary>
    public const double TwinForwardRtol = Tolerances.MatMulRtol, TwinForwardAtol = Tolerances.MatMulAtol;

    /// <summary>
    /// Checks d(Σ out ⊙ r)/d(v) for every v in <paramref name="wrt"/> against central differences of a float64 twin.
    /// <paramref name="twin"/> gets double copies of the <paramref name="wrt"/> values (same order) and returns the
    /// output flattened in the tape's layout; constants (ids, positions, masks, frozen weights) live in its closure.
    /// Up to <paramref name="samples"/> elements per leaf are probed (all when 0). Bound: |a − n| ≤ atol + rtol·|n|,
    /// STYLE.md's unless a test passes a named, commented exception. Returns the worst |a − n| / (atol + rtol·|n|).
    /// </summary>
    public static double CheckTwin(Func<Tape, Variable> forward, Variable[] wrt, Func<double[][], double[]> twin, int samples = 0,
        int seed = 1, ulong tapeSeed = 7, double atol = Tolerances.FiniteDiffAtol, double rtol = Tolerances.FiniteDiffRtol)
    {
        var (r, tapeOut) = Backward(forward, wrt, seed, tapeSeed);
        var leaves = wrt.Select(v => Widening.ToDouble(v.Value.ToFloatArray())).ToArray();
        NumericAssert.Close(twin(leaves), Widening.ToDouble(tapeOut), TwinForwardRtol, TwinForwardAtol, "float64 twin forward vs tape forward");

        double Loss()
        {
            var o = twin(leaves);
            double sum = 0;
            for (int i = 0; i < o.Length; i++) sum += o[i] * r[i];
            return sum;
        }

        var rng = new System.Random(seed + 1);
        double worst = 0;
        for (int w = 0; w < wrt.Length; w++)
        {
            var v = wrt[w];
            Assert.NotNull(v.Grad);
            var analytic = v.Grad!.ToFloatArray();
            var x = leaves[w];
            int[] idx = ProbeIndices(x.Length, samples, rng);
            var numeric = new double[idx.Length];
            var picked = new double[idx.Length];
            for (int s = 0; s < idx.Length; s++)
            {
                int i = idx[s];
                double x0 = x[i], h = TwinH * Math.Max(1, Math.Abs(x0));
                double xp = x0 + h, xm = x0 - h;
                x[i] = xp;
                double fp = Loss();
                x[i] = xm;
                double fm = Loss();
                x[i] = x0;
                // Divide by the step actually taken (xp − xm is exact in double, 2h may not be).
                numeric[s] = (fp - fm) / (xp - xm);
                picked[s] = analytic[i];
                worst = Math.Max(worst, Math.Abs(picked[s] - numeric[s]) / (atol + rtol * Math.Abs(numeric[s])));
            }
            NumericAssert.Close(numeric, picked, rtol, atol, $"gradient of '{v.Name}' (float64 twin)");
            v.ClearGrad();
        }
        return worst;
    }

    /// <summary>
    /// Checks d(Σ out ⊙ r)/d(v) for every v in <paramref name="wrt"/> (F32 leaves that require grad) at up to
    /// <paramref name="samples"/> elements each (all when 0). <paramref name="forward"/> builds the graph on the tape it gets.
    /// </summary>
    public static void Check(Func<Tape, Variable> forward, Variable[] wrt, int samples = 0, int seed = 1, ulong tapeSeed = 7)
    {
        var (r, _) = Backward(forward, wrt, seed, tapeSeed);
        var rng = new System.Random(seed + 1);
        foreach (var v in wrt)
        {
            Assert.NotNull(v.Grad);
            var analytic = v.Grad!.ToFloatArray();
            var tensor = v.Value;
            int[] idx = ProbeIndices(checked((int)tensor.ElementCount), samples, rng);
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

    /// <summary>
    /// Clears the leaves' gradients, runs the graph once on a fresh tape and back-propagates a fixed random projection
    /// r (from <paramref name="seed"/>) of its output, so each leaf's Grad holds d(Σ out ⊙ r)/d(leaf). Returns r and the output.
    /// </summary>
    private static (float[] R, float[] Output) Backward(Func<Tape, Variable> forward, Variable[] wrt, int seed, ulong tapeSeed)
    {
        foreach (var v in wrt) v.ClearGrad();
        using var tape = new Tape(tapeSeed);
        var y = forward(tape);
        var output = y.Value.ToFloatArray();
        var r = Random(output.Length, seed, 1f);
        tape.Backward(y, r);
        return (r, output);
    }

    /// <summary>Every index of a leaf of <paramref name="count"/> elements, or <paramref name="samples"/> random distinct ones.</summary>
    private static int[] ProbeIndices(int count, int samples, System.Random rng)
        => samples <= 0 || samples >= count
            ? Enumerable.Range(0, count).ToArray()
            : Enumerable.Range(0, samples).Select(_ => rng.Next(count)).Distinct().ToArray();

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
