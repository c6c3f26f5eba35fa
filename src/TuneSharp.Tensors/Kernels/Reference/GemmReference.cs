// Scalar reference twin of Kernels/Gemm: triple loops in double-free F32, the ground truth for tests.
namespace TuneSharp.Tensors.Kernels.Reference;

/// <summary>
/// Plain loops for the three GEMM forms training needs. Dimensions are always named (m, n, k):
/// x: (m, k), w: (n, k) row-major like an nn.Linear weight (out, in), y: (m, n).
/// </summary>
public static class GemmReference
{
    /// <summary>y (m, n) (+)= x (m, k) · wᵀ, w: (n, k).</summary>
    public static void MatMulTransB(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y, int m, int n, int k, bool accumulate = false)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++) sum += x[i * k + p] * w[j * k + p];
                y[i * n + j] = accumulate ? y[i * n + j] + sum : sum;
            }
    }

    /// <summary>dx (m, k) (+)= dy (m, n) · w, w: (n, k).</summary>
    public static void MatMul(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx, int m, int n, int k, bool accumulate = false)
    {
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++)
            {
                float sum = 0;
                for (int j = 0; j < n; j++) sum += dy[i * n + j] * w[j * k + p];
                dx[i * k + p] = accumulate ? dx[i * k + p] + sum : sum;
            }
    }

    /// <summary>dw (n, k) (+)= dyᵀ · x, dy: (m, n), x: (m, k).</summary>
    public static void MatMulTransA(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dw, int m, int n, int k, bool accumulate = false)
    {
        for (int j = 0; j < n; j++)
            for (int p = 0; p < k; p++)
            {
                float sum = 0;
                for (int i = 0; i < m; i++) sum += dy[i * n + j] * x[i * k + p];
                dw[j * k + p] = accumulate ? dw[j * k + p] + sum : sum;
            }
    }
}
