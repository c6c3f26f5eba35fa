// Float64 building blocks for the twin closures of OpGradientTests: matrix products (GemmReference is float-only) and the Linear bias.
using TuneSharp.Tensors.Kernels.Reference;

namespace TuneSharp.Autograd.Tests;

/// <summary>
/// Plain triple loops in double. They only need to be obviously right, not fast: the twins run on a few hundred
/// elements, twice per finite-difference probe.
/// </summary>
internal static class TwinMath
{
    /// <summary>y (m, n) = x (m, k) · wᵀ with w (n, k) in nn.Linear (out, in) layout.</summary>
    public static double[] MatMulTransB(ReadOnlySpan<double> x, ReadOnlySpan<double> w, int m, int n, int k)
    {
        var y = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++) sum += x[i * k + p] * w[j * k + p];
                y[i * n + j] = sum;
            }
        return y;
    }

    /// <summary>y (m, n) = a (m, k) · b (k, n).</summary>
    public static double[] MatMul(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int m, int k, int n)
    {
        var y = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++) sum += a[i * k + p] * b[p * n + j];
                y[i * n + j] = sum;
            }
        return y;
    }

    /// <summary>y (rows, n) += b (n) on every row — the Linear bias.</summary>
    public static void AddRowBias(Span<double> y, ReadOnlySpan<double> b)
    {
        for (int o = 0; o < y.Length; o += b.Length) ElementwiseReference.AddInPlace(b, y.Slice(o, b.Length));
    }
}
