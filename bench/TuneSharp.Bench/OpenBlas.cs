// OpenBLAS cblas_sgemm through NativeLibrary (no link-time dependency): the baseline for the gemm benchmark.
using System.Runtime.InteropServices;

namespace TuneSharp.Bench;

/// <summary>
/// Loads <c>libopenblas.so.0</c> if present. OpenBLAS reads OPENBLAS_CORETYPE and OPENBLAS_NUM_THREADS from the
/// native environment when it loads, so those must be set before the process starts (see GemmBench's re-launch).
/// </summary>
public static unsafe class OpenBlas
{
    public const string LibraryName = "libopenblas.so.0";

    private const int RowMajor = 101, NoTrans = 111, Trans = 112;

    private static readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> Sgemm;
    private static readonly delegate* unmanaged<sbyte*> CoreName;
    private static readonly delegate* unmanaged<int, void> SetThreads;

    static OpenBlas()
    {
        if (!NativeLibrary.TryLoad(LibraryName, out var handle)) return;
        if (NativeLibrary.TryGetExport(handle, "cblas_sgemm", out var f))
            Sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)f;
        if (NativeLibrary.TryGetExport(handle, "openblas_get_corename", out var g)) CoreName = (delegate* unmanaged<sbyte*>)g;
        if (NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out var t)) SetThreads = (delegate* unmanaged<int, void>)t;
    }

    /// <summary>Whether cblas_sgemm could be loaded.</summary>
    public static bool Available => Sgemm != null;

    /// <summary>The kernel family OpenBLAS selected (e.g. "Zen", "SkylakeX"), or "?".</summary>
    public static string Core => CoreName != null ? new string(CoreName()) : "?";

    public static void SetNumThreads(int threads)
    {
        if (SetThreads != null) SetThreads(threads);
    }

    /// <summary>y (m, n) = x (m, k) · wᵀ, w (n, k).</summary>
    public static void MatMulTransB(float[] x, float[] w, float[] y, int m, int n, int k)
    {
        fixed (float* px = x) fixed (float* pw = w) fixed (float* py = y)
            Sgemm(RowMajor, NoTrans, Trans, m, n, k, 1f, px, k, pw, k, 0f, py, n);
    }

    /// <summary>dx (m, k) = dy (m, n) · w (n, k).</summary>
    public static void MatMul(float[] dy, float[] w, float[] dx, int m, int n, int k)
    {
        fixed (float* pdy = dy) fixed (float* pw = w) fixed (float* pdx = dx)
            Sgemm(RowMajor, NoTrans, NoTrans, m, k, n, 1f, pdy, n, pw, k, 0f, pdx, k);
    }

    /// <summary>dw (n, k) = dyᵀ · x, dy (m, n), x (m, k).</summary>
    public static void MatMulTransA(float[] dy, float[] x, float[] dw, int m, int n, int k)
    {
        fixed (float* pdy = dy) fixed (float* px = x) fixed (float* pdw = dw)
            Sgemm(RowMajor, Trans, NoTrans, n, k, m, 1f, pdy, n, px, k, 0f, pdw, k);
    }
}
