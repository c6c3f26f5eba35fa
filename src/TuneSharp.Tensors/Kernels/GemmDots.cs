// X·Wᵀ when one side is tiny (decode m ≤ 8, LoRA rank n ≤ 8): blocked dot products that stream W exactly once.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TuneSharp.Tensors.Threading;

namespace TuneSharp.Tensors.Kernels;

/// <summary>
/// For m ≤ 8 (token-by-token generation) the packed kernel would waste most of its 12-row tile and repack W
/// for a handful of rows, while the cost that matters is reading W from memory once: here each worker takes
/// a contiguous range of W's rows (parallel over n), widens 4 rows × 512 columns at a time into an L1 buffer
/// and dots them with every x row (2 × 4 accumulators per step). For n ≤ 8 (x·Aᵀ of a rank-8 LoRA) W is
/// widened whole once and x rows stream past it (parallel over m) instead of a 32-wide tile computing 4× the work.
/// </summary>
internal static unsafe class GemmDots
{
    private const int Small = 8;
    private const int KBlock = 512; // multiple of GemmWeightsLayout.SegmentAlign
    private const double ParallelFlops = 2e5;

    public static bool Prefer(int m, int n, int k) => k > 0 && (m <= Small || n <= Small);

    public static void TransB<TW>(float* x, in TW w, float* y, int m, bool accumulate) where TW : struct, IGemmWeights
    {
        int n = w.Rows, k = w.Cols;
        if (m == 0 || n == 0) return;
        var src = w;
        bool parallel = KernelPool.Threads > 1 && 2.0 * m * n * k >= ParallelFlops;
        if (m <= Small)
        {
            // Parallel over W's rows in groups of 4 so each worker streams a disjoint part of W.
            int groups = (n + 3) / 4;
            if (!parallel || groups < 2) RowsOfW(x, src, y, m, 0, n, accumulate);
            else KernelPool.For(groups, (g0, g1) => RowsOfW(x, src, y, m, g0 * 4, Math.Min(n, g1 * 4), accumulate));
        }
        else
        {
            var wide = GC.AllocateUninitializedArray<float>(n * k, pinned: true);
            fixed (float* pw = wide)
            {
                for (int j = 0; j < n; j++)
                    for (int c = 0; c < k; c += KBlock) src.WidenRow(j, c, Math.Min(KBlock, k - c), pw + (nint)j * k + c);
                float* wp = pw;
                int groups = (m + 3) / 4;
                if (!parallel || groups < 2) RowsOfX(x, wp, y, m, n, k, 0, m, accumulate);
                else KernelPool.For(groups, (g0, g1) => RowsOfX(x, wp, y, m, n, k, g0 * 4, Math.Min(m, g1 * 4), accumulate));
            }
        }
    }

    [ThreadStatic] private static float[]? _buffer;

    // y[:, j0..j1) for m ≤ 8 rows of x.
    private static void RowsOfW<TW>(float* x, TW w, float* y, int m, int j0, int j1, bool accumulate) where TW : struct, IGemmWeights
    {
        int k = w.Cols, n = w.Rows;
        var buffer = _buffer ??= GC.AllocateUninitializedArray<float>(4 * KBlock + 16, pinned: true);
        float* buf = (float*)(((nint)Unsafe.AsPointer(ref buffer[0]) + 63) & ~(nint)63);
        float* sums = stackalloc float[Small * 4];
        for (int j = j0; j < j1; j += 4)
        {
            int jn = Math.Min(4, j1 - j);
            new Span<float>(sums, Small * 4).Clear();
            for (int c = 0; c < k; c += KBlock)
            {
                int len = Math.Min(KBlock, k - c);
                for (int r = 0; r < jn; r++) w.WidenRow(j + r, c, len, buf + r * KBlock);
                if (jn == 4)
                {
                    int i = 0;
                    for (; i + 1 < m; i += 2) Dot2x4(x + (nint)i * k + c, k, buf, KBlock, len, sums + i * 4, 4);
                    if (i < m) Dot1x4(x + (nint)i * k + c, buf, KBlock, len, sums + i * 4);
                }
                else
                {
                    for (int i = 0; i < m; i++)
                        for (int r = 0; r < jn; r++) sums[i * 4 + r] += Dot1(x + (nint)i * k + c, buf + r * KBlock, len);
                }
            }
            for (int i = 0; i < m; i++)
                for (int r = 0; r < jn; r++)
                {
                    float* d = y + (nint)i * n + j + r;
                    *d = accumulate ? *d + sums[i * 4 + r] : sums[i * 4 + r];
                }
        }
    }

    // y[i0..i1, :] for n ≤ 8 widened W rows.
    private static void RowsOfX(float* x, float* w, float* y, int m, int n, int k, int i0, int i1, bool accumulate)
    {
        float* sums = stackalloc float[Small * 4];
        for (int i = i0; i < i1; i += 4)
        {
            int iN = Math.Min(4, i1 - i);
            new Span<float>(sums, Small * 4).Clear();
            if (iN == 4)
            {
                // few = W rows (pairs), many = 4 x rows; sums[j * 4 + r] = w_j · x_{i+r}.
                int j = 0;
                for (; j + 1 < n; j += 2) Dot2x4(w + (nint)j * k, k, x + (nint)i * k, k, k, sums + j * 4, 4);
                if (j < n) Dot1x4(w + (nint)j * k, x + (nint)i * k, k, k, sums + j * 4);
            }
            else
            {
                for (int j = 0; j < n; j++)
                    for (int r = 0; r < iN; r++) sums[j * 4 + r] = Dot1(w + (nint)j * k, x + (nint)(i + r) * k, k);
            }
            for (int r = 0; r < iN; r++)
                for (int j = 0; j < n; j++)
                {
                    float* d = y + (nint)(i + r) * n + j;
                    *d = accumulate ? *d + sums[j * 4 + r] : sums[j * 4 + r];
                }
        }
    }

    // sums[f * stride + r] += a_f · b_r for f < 2, r < 4; a rows ld apart, b rows ldb apart, len values each.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot2x4(float* a, nint lda, float* b, nint ldb, int len, float* sums, int stride)
    {
        float* a1 = a + lda, b1 = b + ldb, b2 = b + 2 * ldb, b3 = b + 3 * ldb;
        int p = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default;
            for (; p <= len - 16; p += 16)
            {
                var x0 = Vector512.Load(a + p); var x1 = Vector512.Load(a1 + p);
                var w0 = Vector512.Load(b + p); var w1 = Vector512.Load(b1 + p);
                var w2 = Vector512.Load(b2 + p); var w3 = Vector512.Load(b3 + p);
                s00 = Vector512.FusedMultiplyAdd(x0, w0, s00); s01 = Vector512.FusedMultiplyAdd(x0, w1, s01);
                s02 = Vector512.FusedMultiplyAdd(x0, w2, s02); s03 = Vector512.FusedMultiplyAdd(x0, w3, s03);
                s10 = Vector512.FusedMultiplyAdd(x1, w0, s10); s11 = Vector512.FusedMultiplyAdd(x1, w1, s11);
                s12 = Vector512.FusedMultiplyAdd(x1, w2, s12); s13 = Vector512.FusedMultiplyAdd(x1, w3, s13);
            }
            sums[0] += Vector512.Sum(s00); sums[1] += Vector512.Sum(s01); sums[2] += Vector512.Sum(s02); sums[3] += Vector512.Sum(s03);
            sums[stride] += Vector512.Sum(s10); sums[stride + 1] += Vector512.Sum(s11);
            sums[stride + 2] += Vector512.Sum(s12); sums[stride + 3] += Vector512.Sum(s13);
        }
        else
        {
            Vector256<float> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default;
            for (; p <= len - 8; p += 8)
            {
                var x0 = Vector256.Load(a + p); var x1 = Vector256.Load(a1 + p);
                var w0 = Vector256.Load(b + p); var w1 = Vector256.Load(b1 + p);
                var w2 = Vector256.Load(b2 + p); var w3 = Vector256.Load(b3 + p);
                s00 = Vector256.FusedMultiplyAdd(x0, w0, s00); s01 = Vector256.FusedMultiplyAdd(x0, w1, s01);
                s02 = Vector256.FusedMultiplyAdd(x0, w2, s02); s03 = Vector256.FusedMultiplyAdd(x0, w3, s03);
                s10 = Vector256.FusedMultiplyAdd(x1, w0, s10); s11 = Vector256.FusedMultiplyAdd(x1, w1, s11);
                s12 = Vector256.FusedMultiplyAdd(x1, w2, s12); s13 = Vector256.FusedMultiplyAdd(x1, w3, s13);
            }
            sums[0] += Vector256.Sum(s00); sums[1] += Vector256.Sum(s01); sums[2] += Vector256.Sum(s02); sums[3] += Vector256.Sum(s03);
            sums[stride] += Vector256.Sum(s10); sums[stride + 1] += Vector256.Sum(s11);
            sums[stride + 2] += Vector256.Sum(s12); sums[stride + 3] += Vector256.Sum(s13);
        }
        for (; p < len; p++)
        {
            float x0 = a[p], x1 = a1[p];
            sums[0] += x0 * b[p]; sums[1] += x0 * b1[p]; sums[2] += x0 * b2[p]; sums[3] += x0 * b3[p];
            sums[stride] += x1 * b[p]; sums[stride + 1] += x1 * b1[p]; sums[stride + 2] += x1 * b2[p]; sums[stride + 3] += x1 * b3[p];
        }
    }

    // sums[r] += a · b_r for r < 4.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot1x4(float* a, float* b, nint ldb, int len, float* sums)
    {
        float* b1 = b + ldb, b2 = b + 2 * ldb, b3 = b + 3 * ldb;
        int p = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (; p <= len - 16; p += 16)
            {
                var x0 = Vector512.Load(a + p);
                s0 = Vector512.FusedMultiplyAdd(x0, Vector512.Load(b + p), s0);
                s1 = Vector512.FusedMultiplyAdd(x0, Vector512.Load(b1 + p), s1);
                s2 = Vector512.FusedMultiplyAdd(x0, Vector512.Load(b2 + p), s2);
                s3 = Vector512.FusedMultiplyAdd(x0, Vector512.Load(b3 + p), s3);
            }
            sums[0] += Vector512.Sum(s0); sums[1] += Vector512.Sum(s1); sums[2] += Vector512.Sum(s2); sums[3] += Vector512.Sum(s3);
        }
        else
        {
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (; p <= len - 8; p += 8)
            {
                var x0 = Vector256.Load(a + p);
                s0 = Vector256.FusedMultiplyAdd(x0, Vector256.Load(b + p), s0);
                s1 = Vector256.FusedMultiplyAdd(x0, Vector256.Load(b1 + p), s1);
                s2 = Vector256.FusedMultiplyAdd(x0, Vector256.Load(b2 + p), s2);
                s3 = Vector256.FusedMultiplyAdd(x0, Vector256.Load(b3 + p), s3);
            }
            sums[0] += Vector256.Sum(s0); sums[1] += Vector256.Sum(s1); sums[2] += Vector256.Sum(s2); sums[3] += Vector256.Sum(s3);
        }
        for (; p < len; p++)
        {
            float x0 = a[p];
            sums[0] += x0 * b[p]; sums[1] += x0 * b1[p]; sums[2] += x0 * b2[p]; sums[3] += x0 * b3[p];
        }
    }

    private static float Dot1(float* a, float* b, int len)
    {
        int p = 0;
        float s = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> acc = default;
            for (; p <= len - 16; p += 16) acc = Vector512.FusedMultiplyAdd(Vector512.Load(a + p), Vector512.Load(b + p), acc);
            s = Vector512.Sum(acc);
        }
        else
        {
            Vector256<float> acc = default;
            for (; p <= len - 8; p += 8) acc = Vector256.FusedMultiplyAdd(Vector256.Load(a + p), Vector256.Load(b + p), acc);
            s = Vector256.Sum(acc);
        }
        for (; p < len; p++) s += a[p] * b[p];
        return s;
    }
}
