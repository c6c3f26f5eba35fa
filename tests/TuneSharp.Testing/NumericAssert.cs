// Closeness assertions that print the worst element, its index and the first mismatching pairs.
using System.Globalization;
using System.Text;
using Xunit.Sdk;

namespace TuneSharp.Testing;

public static class NumericAssert
{
    /// <summary>Asserts |actual − expected| ≤ atol + rtol·|expected| elementwise.</summary>
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rtol, double atol, string what = "values")
    {
        var e = new double[expected.Length];
        var a = new double[actual.Length];
        for (int i = 0; i < e.Length; i++) e[i] = expected[i];
        for (int i = 0; i < a.Length; i++) a[i] = actual[i];
        Close(e, a, rtol, atol, what);
    }

    /// <summary>Asserts |actual − expected| ≤ atol + rtol·|expected| elementwise.</summary>
    public static void Close(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double rtol, double atol, string what = "values")
    {
        if (expected.Length != actual.Length)
            throw new XunitException($"{what}: length {actual.Length} != expected {expected.Length}");
        double worst = 0; int worstIndex = -1; int bad = 0;
        var firstBad = new StringBuilder();
        for (int i = 0; i < expected.Length; i++)
        {
            double x = expected[i], y = actual[i];
            bool ok = (double.IsNaN(x) && double.IsNaN(y)) || x == y || Math.Abs(x - y) <= atol + rtol * Math.Abs(x);
            double err = Math.Abs(x - y);
            if (double.IsNaN(err)) err = double.PositiveInfinity;
            if (!ok)
            {
                if (bad < 5) firstBad.Append(CultureInfo.InvariantCulture, $"  [{i}] expected {x:R} actual {y:R}\n");
                bad++;
                if (err > worst || worstIndex < 0) { worst = err; worstIndex = i; }
            }
        }
        if (bad > 0)
            throw new XunitException(
                $"{what}: {bad}/{expected.Length} elements outside rtol={rtol} atol={atol}; max error {worst:G4} at index {worstIndex}\n{firstBad}");
    }

    /// <summary>Finite-difference check bound from STYLE.md.</summary>
    public static void GradClose(ReadOnlySpan<double> numeric, ReadOnlySpan<double> analytic, string what = "gradient")
        => Close(numeric, analytic, Tolerances.FiniteDiffRtol, Tolerances.FiniteDiffAtol, what);
}
