// GEMM in the three forms training needs (X·Wᵀ, dY·W, dYᵀ·X); F32 compute, weights F32/BF16/F16 or any IGemmWeights.
using System.Runtime.Intrinsics;

namespace TuneSharp.Tensors.Kernels;

/// <summary>
/// Dimensions are always passed as (m, n, k): x: (m, k) activations, w: (n, k) row-major weight
/// (nn.Linear layout: out × in), y: (m, n). <c>accumulate</c> adds into the destination instead of overwriting.
/// Spans may be longer than needed (pooled buffers); the destination must not overlap the inputs.
/// Large products run the packed, cache-blocked kernel on <see cref="Threading.KernelPool.Threads"/> cores;
/// X·Wᵀ with few rows (decode, m ≤ 8) or few columns (LoRA rank, n ≤ 8) streams W once through a dot-product path.
/// </summary>
public static unsafe class Gemm
{
    /// <summary>
    /// Whether the micro-kernel uses 512-bit vectors (default: when the hardware accelerates them). Settable for
    /// benchmarks and tests; false selects the Vector256 kernel.
    /// </summary>
    public static bool UseVector512 { get; set; } = Vector512.IsHardwareAccelerated;

    /// <summary>y (m, n) (+)= x (m, k) · wᵀ — the forward of a linear layer.</summary>
    public static void MatMulTransB(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y, int m, int n, int k, bool accumulate = false)
    {
        Check(nameof(MatMulTransB), m, n, k, x.Length, (long)m * k, "x", w.Length, "w", y.Length, (long)m * n, "y");
        fixed (float* pw = w)
        {
            var src = new GemmF32Weights(pw, n, k);
            TransBCore(x, src, y, m, accumulate);
        }
    }

    /// <summary>y (m, n) (+)= x (m, k) · wᵀ with a BF16 weight (widened while packing).</summary>
    public static void MatMulTransB(ReadOnlySpan<float> x, ReadOnlySpan<BFloat16> w, Span<float> y, int m, int n, int k, bool accumulate = false)
    {
        Check(nameof(MatMulTransB), m, n, k, x.Length, (long)m * k, "x", w.Length, "w", y.Length, (long)m * n, "y");
        fixed (BFloat16* pw = w)
        {
            var src = new GemmBf16Weights(pw, n, k);
            TransBCore(x, src, y, m, accumulate);
        }
    }

    /// <summary>y (m, n) (+)= x (m, k) · wᵀ with an F16 weight (widened while packing).</summary>
    public static void MatMulTransB(ReadOnlySpan<float> x, ReadOnlySpan<Half> w, Span<float> y, int m, int n, int k, bool accumulate = false)
    {
        Check(nameof(MatMulTransB), m, n, k, x.Length, (long)m * k, "x", w.Length, "w", y.Length, (long)m * n, "y");
        fixed (Half* pw = w)
        {
            var src = new GemmF16Weights(pw, n, k);
            TransBCore(x, src, y, m, accumulate);
        }
    }

    /// <summary>
    /// y (m, n) (+)= x (m, k) · wᵀ for any weight source (n = w.Rows, k = w.Cols); quantized formats plug in here.
    /// The source's memory must stay pinned/mapped for the duration of the call.
    /// </summary>
    public static void MatMulTransB<TWeights>(ReadOnlySpan<float> x, in TWeights w, Span<float> y, int m, bool accumulate = false)
        where TWeights : struct, IGemmWeights
    {
        Check(nameof(MatMulTransB), m, w.Rows, w.Cols, x.Length, (long)m * w.Cols, "x", -1, "w", y.Length, (long)m * w.Rows, "y");
        TransBCore(x, w, y, m, accumulate);
    }

    /// <summary>dx (m, k) (+)= dy (m, n) · w (n, k) — the input gradient of a linear layer.</summary>
    public static void MatMul(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx, int m, int n, int k, bool accumulate = false)
    {
        Check(nameof(MatMul), m, n, k, dy.Length, (long)m * n, "dy", w.Length, "w", dx.Length, (long)m * k, "dx");
        fixed (float* pw = w)
        {
            var src = new GemmF32Weights(pw, n, k);
            MatMulCore(dy, src, dx, m, accumulate);
        }
    }

    /// <summary>dx (m, k) (+)= dy (m, n) · w (n, k) with a BF16 weight.</summary>
    public static void MatMul(ReadOnlySpan<float> dy, ReadOnlySpan<BFloat16> w, Span<float> dx, int m, int n, int k, bool accumulate = false)
    {
        Check(nameof(MatMul), m, n, k, dy.Length, (long)m * n, "dy", w.Length, "w", dx.Length, (long)m * k, "dx");
        fixed (BFloat16* pw = w)
        {
            var src = new GemmBf16Weights(pw, n, k);
            MatMulCore(dy, src, dx, m, accumulate);
        }
    }

    /// <summary>dx (m, k) (+)= dy (m, n) · w (n, k) with an F16 weight.</summary>
    public static void MatMul(ReadOnlySpan<float> dy, ReadOnlySpan<Half> w, Span<float> dx, int m, int n, int k, bool accumulate = false)
    {
        Check(nameof(MatMul), m, n, k, dy.Length, (long)m * n, "dy", w.Length, "w", dx.Length, (long)m * k, "dx");
        fixed (Half* pw = w)
        {
            var src = new GemmF16Weights(pw, n, k);
            MatMulCore(dy, src, dx, m, accumulate);
        }
    }

    /// <summary>dx (m, k) (+)= dy (m, n) · w for any weight source (n = w.Rows, k = w.Cols), e.g. a frozen NF4 W in QLoRA.</summary>
    public static void MatMul<TWeights>(ReadOnlySpan<float> dy, in TWeights w, Span<float> dx, int m, bool accumulate = false)
        where TWeights : struct, IGemmWeights
    {
        Check(nameof(MatMul), m, w.Rows, w.Cols, dy.Length, (long)m * w.Rows, "dy", -1, "w", dx.Length, (long)m * w.Cols, "dx");
        MatMulCore(dy, w, dx, m, accumulate);
    }

    /// <summary>dw (n, k) (+)= dyᵀ (n, m) · x (m, k) — the weight gradient of a linear layer.</summary>
    public static void MatMulTransA(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dw, int m, int n, int k, bool accumulate = false)
    {
        Check(nameof(MatMulTransA), m, n, k, dy.Length, (long)m * n, "dy", x.Length, "x", dw.Length, (long)n * k, "dw", (long)m * k);
        fixed (float* pdy = dy)
        fixed (float* px = x)
        fixed (float* pdw = dw)
        {
            // C = dw (n, k); A = dyᵀ stored k-major as dy (m, n); B = x stored (reduction m, columns k).
            var src = new GemmF32Weights(px, m, k);
            GemmDriver.Run(pdy, n, aKMajor: true, src, bNK: false, pdw, k, n, k, m, accumulate);
        }
    }

    private static void TransBCore<TWeights>(ReadOnlySpan<float> x, in TWeights w, Span<float> y, int m, bool accumulate)
        where TWeights : struct, IGemmWeights
    {
        int n = w.Rows, k = w.Cols;
        fixed (float* px = x)
        fixed (float* py = y)
        {
            if (GemmDots.Prefer(m, n, k)) GemmDots.TransB(px, w, py, m, accumulate);
            else GemmDriver.Run(px, k, aKMajor: false, w, bNK: true, py, n, m, n, k, accumulate);
        }
    }

    private static void MatMulCore<TWeights>(ReadOnlySpan<float> dy, in TWeights w, Span<float> dx, int m, bool accumulate)
        where TWeights : struct, IGemmWeights
    {
        int n = w.Rows, k = w.Cols;
        fixed (float* pdy = dy)
        fixed (float* pdx = dx)
        {
            // C = dx (m, k); A = dy (m, n) row-major; B = W stored (reduction n, columns k).
            GemmDriver.Run(pdy, n, aKMajor: false, w, bNK: false, pdx, k, m, k, n, accumulate);
        }
    }

    private static void Check(string op, int m, int n, int k, int aLen, long aNeed, string aName, int bLen, string bName,
        int cLen, long cNeed, string cName, long bNeed = -1)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentOutOfRangeException(nameof(m), $"Gemm.{op}: dimensions must be ≥ 0, got (m, n, k) = ({m}, {n}, {k})");
        if (bNeed < 0) bNeed = (long)n * k;
        if (aLen < aNeed)
            throw new ArgumentException($"Gemm.{op}: {aName} has {aLen} elements, (m, n, k) = ({m}, {n}, {k}) needs {aNeed}", aName);
        if (bLen >= 0 && bLen < bNeed)
            throw new ArgumentException($"Gemm.{op}: {bName} has {bLen} elements, (m, n, k) = ({m}, {n}, {k}) needs {bNeed}", bName);
        if (cLen < cNeed)
            throw new ArgumentException($"Gemm.{op}: {cName} has {cLen} elements, (m, n, k) = ({m}, {n}, {k}) needs {cNeed}", cName);
    }
}
