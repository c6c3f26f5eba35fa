// Exact float → double widening for the float64 twins of finite-difference and reference checks.
namespace TuneSharp.Testing;

/// <summary>Every float is exactly a double, so a twin fed these values sees the very inputs the float32 code saw.</summary>
public static class Widening
{
    public static double[] ToDouble(ReadOnlySpan<float> x)
    {
        var d = new double[x.Length];
        for (int i = 0; i < x.Length; i++) d[i] = x[i];
        return d;
    }
}
