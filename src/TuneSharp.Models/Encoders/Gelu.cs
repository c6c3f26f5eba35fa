// Exact GELU, x·Φ(x) = 0.5·x·(1 + erf(x/√2)) (HF ACT2FN["gelu"], torch.nn.functional.gelu), with a double-precision erf.
namespace TuneSharp.Models.Encoders;

internal static class Gelu
{
    public static void Apply(Span<float> x)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            x[i] = (float)(0.5 * v * (1.0 + Erf(v / Math.Sqrt(2.0))));
        }
    }

    /// <summary>
    /// erf to ~1e-15: Maclaurin series for |z| &lt; 2.5 (terms stay below e^6.25, so ≤ 3 digits are lost to cancellation),
    /// a continued fraction for erfc beyond (converges fast for z ≥ 2.5).
    /// </summary>
    public static double Erf(double z)
    {
        if (double.IsNaN(z)) return z;
        double a = Math.Abs(z);
        double r;
        if (a < 2.5)
        {
            // erf z = 2/√π Σ (-1)^n z^(2n+1) / (n! (2n+1))
            double term = a, sum = a, z2 = a * a;
            for (int n = 1; n < 100; n++)
            {
                term *= -z2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            r = 2.0 / Math.Sqrt(Math.PI) * sum;
        }
        else if (a > 6.0) r = 1.0;
        else
        {
            // erfc z = e^{-z²}/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + 2/(z + …))))), evaluated from the tail.
            double f = a;
            for (int k = 60; k >= 1; k--) f = a + k / 2.0 / f;
            r = 1.0 - Math.Exp(-a * a) / Math.Sqrt(Math.PI) / f;
        }
        return z < 0 ? -r : r;
    }
}
