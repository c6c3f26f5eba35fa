// Scalar twin of Gemv: y = x·Wᵀ with BF16 weights, double accumulation.
namespace TuneSharp.Tensors.Kernels.Reference;

public static class GemvReference
{
    /// <summary>y (m, n) (+)= x (m, k) · wᵀ, w (n, k) BF16.</summary>
    public static void MatMulTransB(ReadOnlySpan<float> x, ReadOnlySpan<BFloat16> w, Span<float> y, int m, int n, int k, bool accumulate = false)
    {
        for (int i = 0; i < m; i++)
            for (int r = 0; r < n; r++)
            {
                double s = 0;
                for (int j = 0; j < k; j++) s += (double)x[i * k + j] * (float)w[r * k + j];
                y[i * n + r] = accumulate ? y[i * n + r] + (float)s : (float)s;
            }
    }
}
