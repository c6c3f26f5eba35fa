// GEMM in the three forms training needs (X·Wᵀ, dY·W, dYᵀ·X); F32 compute, weights F32/BF16/F16.
// PLACEHOLDER implementation (widen + reference loops) — the optimized packed kernel replaces the bodies;
// the public signatures below are the contract other kernels and the autograd layer code against.
using TuneSharp.Tensors.Kernels.Reference;

namespace TuneSharp.Tensors.Kernels;

/// <summary>
/// Dimensions are always passed as (m, n, k): x: (m, k) activations, w: (n, k) row-major weight
/// (nn.Linear layout: out × in), y: (m, n). <c>accumulate</c> adds into the destination instead of overwriting.
/// </summary>
public static class Gemm
{
    /// <summary>y (m, n) (+)= x (m, k) · wᵀ — the forward of a linear layer.</summary>
    public static void MatMulTransB(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y, int m, int n, int k, bool accumulate = false)
        => GemmReference.MatMulTransB(x, w, y, m, n, k, accumulate);

    /// <summary>y (m, n) (+)= x (m, k) · wᵀ with a BF16 weight.</summary>
    public static void MatMulTransB(ReadOnlySpan<float> x, ReadOnlySpan<BFloat16> w, Span<float> y, int m, int n, int k, bool accumulate = false)
        => GemmReference.MatMulTransB(x, Widen(w), y, m, n, k, accumulate);

    /// <summary>y (m, n) (+)= x (m, k) · wᵀ with an F16 weight.</summary>
    public static void MatMulTransB(ReadOnlySpan<float> x, ReadOnlySpan<Half> w, Span<float> y, int m, int n, int k, bool accumulate = false)
        => GemmReference.MatMulTransB(x, Widen(w), y, m, n, k, accumulate);

    /// <summary>dx (m, k) (+)= dy (m, n) · w (n, k) — the input gradient of a linear layer.</summary>
    public static void MatMul(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx, int m, int n, int k, bool accumulate = false)
        => GemmReference.MatMul(dy, w, dx, m, n, k, accumulate);

    /// <summary>dx (m, k) (+)= dy (m, n) · w (n, k) with a BF16 weight.</summary>
    public static void MatMul(ReadOnlySpan<float> dy, ReadOnlySpan<BFloat16> w, Span<float> dx, int m, int n, int k, bool accumulate = false)
        => GemmReference.MatMul(dy, Widen(w), dx, m, n, k, accumulate);

    /// <summary>dx (m, k) (+)= dy (m, n) · w (n, k) with an F16 weight.</summary>
    public static void MatMul(ReadOnlySpan<float> dy, ReadOnlySpan<Half> w, Span<float> dx, int m, int n, int k, bool accumulate = false)
        => GemmReference.MatMul(dy, Widen(w), dx, m, n, k, accumulate);

    /// <summary>dw (n, k) (+)= dyᵀ (n, m) · x (m, k) — the weight gradient of a linear layer.</summary>
    public static void MatMulTransA(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dw, int m, int n, int k, bool accumulate = false)
        => GemmReference.MatMulTransA(dy, x, dw, m, n, k, accumulate);

    private static float[] Widen(ReadOnlySpan<BFloat16> w)
    {
        var r = new float[w.Length];
        for (int i = 0; i < w.Length; i++) r[i] = (float)w[i];
        return r;
    }

    private static float[] Widen(ReadOnlySpan<Half> w)
    {
        var r = new float[w.Length];
        for (int i = 0; i < w.Length; i++) r[i] = (float)w[i];
        return r;
    }
}
