// Shared test data for the elementwise-family kernel tests: seeded random spans, special values, finite differences.
namespace TuneSharp.Tensors.Tests;

internal static class ElementwiseTestData
{
    /// <summary>Lengths 0..256 cover every vector remainder path for 8- and 16-wide vectors.</summary>
    public static IEnumerable<int> AllLengths => Enumerable.Range(0, 257);

    /// <summary>Odd row widths around the vector sizes.</summary>
    public static readonly int[] OddCols = [1, 3, 8, 15, 16, 17, 31, 33, 64, 65, 127, 130];

    /// <summary>Normal(0, scale) floats from a seeded generator (Box–Muller).</summary>
    public static float[] Randn(Random rng, int n, double scale = 1.0)
    {
        var r = new float[n];
        for (int i = 0; i < n; i++) r[i] = (float)(scale * Gaussian(rng));
        return r;
    }

    public static double Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Places NaN, ±0 and ±1 at the start of a span (when it is long enough).</summary>
    public static void InsertSpecials(Span<float> x)
    {
        ReadOnlySpan<float> specials = [float.NaN, 0f, -0f, 1f, -1f];
        for (int i = 0; i < Math.Min(x.Length, specials.Length); i++) x[i] = specials[i];
    }

    /// <summary>
    /// Central differences of a scalar loss with respect to every element of <paramref name="x"/> (perturbed in place
    /// and restored). h = 1e-5 in double keeps truncation (~h²) and round-off (~1e-16/h) below the FD tolerance.
    /// </summary>
    public static double[] NumericGrad(double[] x, Func<double> loss, double h = 1e-5)
    {
        var g = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double keep = x[i];
            x[i] = keep + h;
            double up = loss();
            x[i] = keep - h;
            double down = loss();
            x[i] = keep;
            g[i] = (up - down) / (2 * h);
        }
        return g;
    }

    /// <summary>Σ a⊙b in double.</summary>
    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
