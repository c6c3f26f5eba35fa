// GEMM register-tiled micro-kernels: C[12×32] (+)= Ap[kc×12]ᵀ-panel · Bp[kc×32]-panel (BLIS-style, Goto & van de Geijn 2008).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TuneSharp.Tensors.Kernels;

/// <summary>
/// The innermost loop. Packed A holds, for each p, <see cref="Mr"/> consecutive values (one per C row);
/// packed B holds, for each p, <see cref="Nr"/> consecutive values (one per C column). The 12×32 tile is
/// 24 zmm accumulators (+2 for the B row, +1 broadcast = 27 of 32 registers); per k step it issues 24 FMAs
/// for 2 vector loads and 12 embedded broadcasts, so the FMA pipes, not the load ports, are the limit.
/// On Zen 4 (512-bit ops double-pumped) 24 independent chains also cover the 4-cycle FMA latency.
/// </summary>
internal static unsafe class GemmMicroKernel
{
    public const int Mr = 12;
    public const int Nr = 32;

    // Software prefetch distances (floats) inside the k loop: 32 steps of A, 16 steps of B ahead. Both panels
    // stream from L2; the hint costs 3 instructions per 24 FMAs and kept the kernel closer to peak in sweeps.
    private const int PrefetchA = 32 * Mr, PrefetchB = 16 * Nr;

    /// <summary>C (Mr × Nr, row stride ldc) (+)= A-panel · B-panel over kc steps; load=false overwrites C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run(float* a, float* b, int kc, float* c, nint ldc, bool load, bool use512)
    {
        if (use512 && Avx512F.IsSupported) Kernel512(a, b, kc, c, ldc, load);
        else Kernel256(a, b, kc, c, ldc, load);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512(float* a, float* b, int kc, float* c, nint ldc, bool load)
    {
        Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51,
            c60, c61, c70, c71, c80, c81, c90, c91, ca0, ca1, cb0, cb1;
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = Vector512<float>.Zero;
        c60 = c61 = c70 = c71 = c80 = c81 = c90 = c91 = ca0 = ca1 = cb0 = cb1 = Vector512<float>.Zero;
        // The C tile (12 rows, ldc apart) is usually in L3 or memory; its loads come after thousands of FMAs,
        // out of the reorder window's reach, so its 24 lines are requested during the k loop, one every 8 steps.
        // Spread out rather than all up front, they do not fill the miss buffers that the A and B streams need
        // at the start of every call (measured: medians +1–4% on the large gemm-bench shapes, 2 threads).
        for (int p = 0; p < kc; p++)
        {
            if ((p & 7) == 0 && p < 16 * Mr)
            {
                int line = p >> 3;
                Sse.Prefetch0(c + (line >> 1) * ldc + (line & 1) * 16);
            }
            var b0 = Avx512F.LoadVector512(b);
            var b1 = Avx512F.LoadVector512(b + 16);
            Sse.Prefetch0(b + PrefetchB);
            Sse.Prefetch0(b + PrefetchB + 16);
            Sse.Prefetch0(a + PrefetchA);
            Vector512<float> av;
            av = Vector512.Create(a[0]); c00 = Avx512F.FusedMultiplyAdd(av, b0, c00); c01 = Avx512F.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(a[1]); c10 = Avx512F.FusedMultiplyAdd(av, b0, c10); c11 = Avx512F.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(a[2]); c20 = Avx512F.FusedMultiplyAdd(av, b0, c20); c21 = Avx512F.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(a[3]); c30 = Avx512F.FusedMultiplyAdd(av, b0, c30); c31 = Avx512F.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(a[4]); c40 = Avx512F.FusedMultiplyAdd(av, b0, c40); c41 = Avx512F.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(a[5]); c50 = Avx512F.FusedMultiplyAdd(av, b0, c50); c51 = Avx512F.FusedMultiplyAdd(av, b1, c51);
            av = Vector512.Create(a[6]); c60 = Avx512F.FusedMultiplyAdd(av, b0, c60); c61 = Avx512F.FusedMultiplyAdd(av, b1, c61);
            av = Vector512.Create(a[7]); c70 = Avx512F.FusedMultiplyAdd(av, b0, c70); c71 = Avx512F.FusedMultiplyAdd(av, b1, c71);
            av = Vector512.Create(a[8]); c80 = Avx512F.FusedMultiplyAdd(av, b0, c80); c81 = Avx512F.FusedMultiplyAdd(av, b1, c81);
            av = Vector512.Create(a[9]); c90 = Avx512F.FusedMultiplyAdd(av, b0, c90); c91 = Avx512F.FusedMultiplyAdd(av, b1, c91);
            av = Vector512.Create(a[10]); ca0 = Avx512F.FusedMultiplyAdd(av, b0, ca0); ca1 = Avx512F.FusedMultiplyAdd(av, b1, ca1);
            av = Vector512.Create(a[11]); cb0 = Avx512F.FusedMultiplyAdd(av, b0, cb0); cb1 = Avx512F.FusedMultiplyAdd(av, b1, cb1);
            a += Mr;
            b += Nr;
        }
        if (load)
        {
            Add512(c + 0 * ldc, c00, c01); Add512(c + 1 * ldc, c10, c11); Add512(c + 2 * ldc, c20, c21);
            Add512(c + 3 * ldc, c30, c31); Add512(c + 4 * ldc, c40, c41); Add512(c + 5 * ldc, c50, c51);
            Add512(c + 6 * ldc, c60, c61); Add512(c + 7 * ldc, c70, c71); Add512(c + 8 * ldc, c80, c81);
            Add512(c + 9 * ldc, c90, c91); Add512(c + 10 * ldc, ca0, ca1); Add512(c + 11 * ldc, cb0, cb1);
        }
        else
        {
            Set512(c + 0 * ldc, c00, c01); Set512(c + 1 * ldc, c10, c11); Set512(c + 2 * ldc, c20, c21);
            Set512(c + 3 * ldc, c30, c31); Set512(c + 4 * ldc, c40, c41); Set512(c + 5 * ldc, c50, c51);
            Set512(c + 6 * ldc, c60, c61); Set512(c + 7 * ldc, c70, c71); Set512(c + 8 * ldc, c80, c81);
            Set512(c + 9 * ldc, c90, c91); Set512(c + 10 * ldc, ca0, ca1); Set512(c + 11 * ldc, cb0, cb1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add512(float* c, Vector512<float> v0, Vector512<float> v1)
    {
        Vector512.Store(Vector512.Load(c) + v0, c);
        Vector512.Store(Vector512.Load(c + 16) + v1, c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Set512(float* c, Vector512<float> v0, Vector512<float> v1)
    {
        Vector512.Store(v0, c);
        Vector512.Store(v1, c + 16);
    }

    // Fallback for CPUs without (fast) AVX-512: the same packed tile computed as four 6×16 sub-tiles of
    // 12 ymm accumulators each, which fits the 16 registers of AVX2.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256(float* a, float* b, int kc, float* c, nint ldc, bool load)
    {
        for (int rows = 0; rows < Mr; rows += 6)
            for (int cols = 0; cols < Nr; cols += 16)
                Kernel256Sub(a + rows, b + cols, kc, c + rows * ldc + cols, ldc, load);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256Sub(float* a, float* b, int kc, float* c, nint ldc, bool load)
    {
        Vector256<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = Vector256<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            Vector256<float> av;
            av = Vector256.Create(a[0]); c00 = Vector256.FusedMultiplyAdd(av, b0, c00); c01 = Vector256.FusedMultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[1]); c10 = Vector256.FusedMultiplyAdd(av, b0, c10); c11 = Vector256.FusedMultiplyAdd(av, b1, c11);
            av = Vector256.Create(a[2]); c20 = Vector256.FusedMultiplyAdd(av, b0, c20); c21 = Vector256.FusedMultiplyAdd(av, b1, c21);
            av = Vector256.Create(a[3]); c30 = Vector256.FusedMultiplyAdd(av, b0, c30); c31 = Vector256.FusedMultiplyAdd(av, b1, c31);
            av = Vector256.Create(a[4]); c40 = Vector256.FusedMultiplyAdd(av, b0, c40); c41 = Vector256.FusedMultiplyAdd(av, b1, c41);
            av = Vector256.Create(a[5]); c50 = Vector256.FusedMultiplyAdd(av, b0, c50); c51 = Vector256.FusedMultiplyAdd(av, b1, c51);
            a += Mr;
            b += Nr;
        }
        Store256(c + 0 * ldc, c00, c01, load); Store256(c + 1 * ldc, c10, c11, load); Store256(c + 2 * ldc, c20, c21, load);
        Store256(c + 3 * ldc, c30, c31, load); Store256(c + 4 * ldc, c40, c41, load); Store256(c + 5 * ldc, c50, c51, load);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(float* c, Vector256<float> v0, Vector256<float> v1, bool load)
    {
        if (load)
        {
            v0 += Vector256.Load(c);
            v1 += Vector256.Load(c + 8);
        }
        Vector256.Store(v0, c);
        Vector256.Store(v1, c + 8);
    }
}
