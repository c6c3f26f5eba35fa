// GEMM cache blocking, panel packing and static two-core split (Goto & van de Geijn, "Anatomy of high-performance matrix multiplication", 2008).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TuneSharp.Tensors.Threading;

namespace TuneSharp.Tensors.Kernels;

/// <summary>
/// C (m, n) (+)= A (m, k) · B (k, n) for every form Gemm exposes. A ("rows" of C) is F32, stored either
/// row-major (m, k) — activations x or dy — or k-major (k, m) — dyᵀ in the weight gradient. B ("columns" of
/// C) is any <see cref="IGemmWeights"/>, stored either (n, k) — W in X·Wᵀ — or (k, n) — W in dY·W, x in dYᵀ·X.
/// Loop nest per worker: jc over NC columns → pc over KC → pack B block (kc × nc, widened/dequantized here,
/// lives in L3) → ic over MC rows → pack A block (mc × kc, L2) → jr over 32-column B micro-panels (L2, reused
/// by the whole A block) → ir over 12-row A micro-panels → micro-kernel. Partial edge tiles go through a
/// scratch tile. With 2+ workers either the rows or the columns of C are split statically (whichever packs less,
/// see <see cref="PreferRowSplit"/>); each worker packs its own blocks, which keeps workers free of barriers.
/// </summary>
internal static unsafe class GemmDriver
{
    private const int Mr = GemmMicroKernel.Mr, Nr = GemmMicroKernel.Nr;

    // Block sizes, measured on Zen 4 (32 KiB L1d, 1 MiB L2, 32 MiB L3) with thread-CPU-time sweeps against
    // OpenBLAS: a long KC (fewer read-modify-write passes over C) won over an L1-resident B micro-panel,
    // because the kernel sustains peak while streaming both micro-panels from L2. The A block (mc·kc·4 B
    // ≈ 290 KiB) and one B micro-panel (kc·32·4 B ≈ 96 KiB) live in L2, the B block (kc·nc) in L3.
    // KC and NC are multiples of 64 (IGemmWeights segment alignment); k is split into equal KC-ish blocks.
    internal static int KC = 768, MC = 96, NC = 1024;

    // Below this many FLOPs a call stays on one core: fork/join and duplicated packing would dominate.
    private const double ParallelFlops = 2e6;

    static GemmDriver()
    {
        // Tuning hook for the gemm benchmark: TUNESHARP_GEMM_BLOCKS="kc,mc,nc".
        var s = Environment.GetEnvironmentVariable("TUNESHARP_GEMM_BLOCKS");
        if (s is not null && s.Split(',') is [var kcs, var mcs, var ncs]
            && int.TryParse(kcs, out int kc) && int.TryParse(mcs, out int mc) && int.TryParse(ncs, out int nc))
        {
            KC = Math.Max(64, kc / 64 * 64);
            MC = Math.Max(Mr, mc / Mr * Mr);
            NC = Math.Max(64, nc / 64 * 64);
        }
    }

    private readonly struct Job<TB> where TB : struct, IGemmWeights
    {
        public readonly float* A;
        public readonly nint Lda;
        public readonly bool AKMajor;
        public readonly TB B;
        public readonly bool BNK;
        public readonly float* C;
        public readonly nint Ldc;
        public readonly int M, N, K;
        public readonly bool Accumulate;

        public Job(float* a, nint lda, bool aKMajor, TB b, bool bNK, float* c, nint ldc, int m, int n, int k, bool accumulate)
        {
            A = a; Lda = lda; AKMajor = aKMajor; B = b; BNK = bNK; C = c; Ldc = ldc; M = m; N = n; K = k; Accumulate = accumulate;
        }
    }

    /// <summary>Entry point; see the class summary for the operand layouts.</summary>
    public static void Run<TB>(float* a, nint lda, bool aKMajor, in TB b, bool bNK, float* c, nint ldc, int m, int n, int k, bool accumulate)
        where TB : struct, IGemmWeights
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate)
                for (int i = 0; i < m; i++) new Span<float>(c + i * ldc, n).Clear();
            return;
        }
        var job = new Job<TB>(a, lda, aKMajor, b, bNK, c, ldc, m, n, k, accumulate);
        int threads = KernelPool.Threads;
        double flops = 2.0 * m * n * k;
        // Column parts are multiples of 64 when B is widened along its rows' n axis (IGemmWeights segments start
        // at multiples of 64), else of one 32-column micro-panel.
        int colUnit = bNK ? Nr : 64;
        int tilesM = (m + Mr - 1) / Mr, tilesN = (n + colUnit - 1) / colUnit;
        if (threads <= 1 || flops < ParallelFlops || (tilesM < 2 && tilesN < 2))
        {
            Compute(job, 0, m, 0, n);
            return;
        }
        bool splitM = PreferRowSplit(m, n, k, threads, tilesM, tilesN, colUnit);
        int parts = Math.Min(threads, splitM ? tilesM : tilesN);
        KernelPool.For(parts, (p0, p1) =>
        {
            for (int p = p0; p < p1; p++)
            {
                if (splitM)
                {
                    int r0 = (int)((long)tilesM * p / parts) * Mr, r1 = Math.Min(m, (int)((long)tilesM * (p + 1) / parts) * Mr);
                    Compute(job, r0, r1, 0, n);
                }
                else
                {
                    int c0 = (int)((long)tilesN * p / parts) * colUnit, c1 = Math.Min(n, (int)((long)tilesN * (p + 1) / parts) * colUnit);
                    Compute(job, 0, m, c0, c1);
                }
            }
        });
    }

    // Cost of packing one element, in FLOP-equivalents of micro-kernel time (a strided transpose/widen from L3 or
    // memory: ~0.5 ns against ~100 GFLOP/s per core).
    private const double PackCost = 50;

    /// <summary>
    /// Chooses between splitting C's rows or its columns over the workers by the slower worker's modelled time:
    /// its share of the FLOPs (tile granularity makes parts uneven) plus what it packs. Every worker packs the
    /// whole B block for its columns, once per KC step, and its A rows once per (NC, KC) block. Splitting rows
    /// therefore packs all of B on every worker; splitting columns packs A on every worker but only a part of B,
    /// and costs no extra A packing when the columns already span several NC blocks — so for the large X·Wᵀ shapes
    /// of the gemm bench (n ≥ 2048) and the chunked LM head (m ≈ 300, n = V) the column split wins: no worker
    /// widens and packs all of W.
    /// </summary>
    private static bool PreferRowSplit(int m, int n, int k, int threads, int tilesM, int tilesN, int colUnit)
    {
        if (tilesN < threads) return true;
        if (tilesM < threads) return false;
        double rowsMax = Math.Min(m, (double)((tilesM + threads - 1) / threads) * Mr);
        double colsMax = Math.Min(n, (double)((tilesN + threads - 1) / threads) * colUnit);
        double timeRows = 2.0 * k * n * rowsMax + PackCost * k * (n + Math.Ceiling(n / (double)NC) * rowsMax);
        double timeCols = 2.0 * k * m * colsMax + PackCost * k * (colsMax + Math.Ceiling(colsMax / NC) * m);
        return timeRows <= timeCols;
    }

    [ThreadStatic] private static float[]? _scratch;

    // One pinned per-thread buffer, carved into 64-byte-aligned regions: B block, A block, row, tile.
    private static float* Scratch(int floats)
    {
        var s = _scratch;
        if (s is null || s.Length < floats + 16)
            _scratch = s = GC.AllocateUninitializedArray<float>(floats + 16, pinned: true);
        float* p = (float*)Unsafe.AsPointer(ref s[0]);
        return (float*)(((nint)p + 63) & ~(nint)63);
    }

    private static int Round(int v, int to) => (v + to - 1) / to * to;

    // AggressiveOptimization: a GEMM call is long, so tiered compilation would leave this loop nest in OSR code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Compute<TB>(in Job<TB> job, int m0, int m1, int n0, int n1) where TB : struct, IGemmWeights
    {
        if (m1 <= m0 || n1 <= n0) return;
        int kBlocks = (job.K + KC - 1) / KC;
        int kcMax = Math.Min(Round((job.K + kBlocks - 1) / kBlocks, 64), job.K);
        int ncMax = Math.Min(NC, n1 - n0);
        int mcMax = Math.Min(MC, m1 - m0);
        int bSize = Round(kcMax * Round(ncMax, Nr), 16);
        int aSize = Round(kcMax * Round(mcMax, Mr), 16);
        int rowSize = Round(Math.Max(8 * kcMax, ncMax), 16);
        float* bp = Scratch(bSize + aSize + rowSize + Mr * Nr);
        float* ap = bp + bSize;
        float* row = ap + aSize;
        float* tile = row + rowSize;
        bool use512 = Gemm.UseVector512;
        nint ldc = job.Ldc;

        for (int jc = n0; jc < n1; jc += NC)
        {
            int nc = Math.Min(NC, n1 - jc);
            for (int pc = 0; pc < job.K; pc += kcMax)
            {
                int kc = Math.Min(kcMax, job.K - pc);
                if (job.BNK) PackBRows(job.B, jc, nc, pc, kc, bp, row);
                else PackBCols(job.B, jc, nc, pc, kc, bp, row);
                bool load = job.Accumulate || pc > 0;
                for (int ic = m0; ic < m1; ic += MC)
                {
                    int mc = Math.Min(MC, m1 - ic);
                    if (job.AKMajor) PackAKMajor(job.A, job.Lda, ic, mc, pc, kc, ap);
                    else PackARows(job.A, job.Lda, ic, mc, pc, kc, ap);
                    // jr outer, ir inner: one B micro-panel is reused from L1/L2 by every A micro-panel of the
                    // block (measured: the opposite order, A panel held in L1, is ~20% slower on Zen 4).
                    for (int jr = 0; jr < nc; jr += Nr)
                        for (int ir = 0; ir < mc; ir += Mr)
                            Tile(ap, bp, kc, job.C, ldc, ic, ir, jc, jr, Math.Min(Mr, mc - ir), Math.Min(Nr, nc - jr), tile, load, use512);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile(float* ap, float* bp, int kc, float* c, nint ldc, int ic, int ir, int jc, int jr, int mr, int nr, float* tile, bool load, bool use512)
    {
        float* cTile = c + (ic + ir) * ldc + jc + jr;
        if (mr == Mr && nr == Nr)
        {
            GemmMicroKernel.Run(ap + (nint)ir * kc, bp + (nint)jr * kc, kc, cTile, ldc, load, use512);
        }
        else
        {
            GemmMicroKernel.Run(ap + (nint)ir * kc, bp + (nint)jr * kc, kc, tile, Nr, false, use512);
            MergeTile(tile, cTile, ldc, mr, nr, load);
        }
    }

    private static void MergeTile(float* tile, float* c, nint ldc, int mr, int nr, bool load)
    {
        for (int i = 0; i < mr; i++)
        {
            float* t = tile + i * Nr, d = c + i * ldc;
            if (load) for (int j = 0; j < nr; j++) d[j] += t[j];
            else for (int j = 0; j < nr; j++) d[j] = t[j];
        }
    }

    // B stored (n, k): micro-panel q holds, for each p, W[jc + 32q + 0..31, pc + p] — a transpose of W's rows.
    // Eight rows at a time are widened into `rows` (8 × kc) and transposed in 8 × 8 AVX blocks, so each packed
    // step receives 8 contiguous floats; paid once per B block and amortized over all m rows of A.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip tier-0 and OSR code
    private static void PackBRows<TB>(in TB w, int jc, int nc, int pc, int kc, float* bp, float* rows) where TB : struct, IGemmWeights
    {
        int j = 0;
        if (Avx.IsSupported)
        {
            for (; j + 8 <= nc; j += 8)
            {
                // F32 rows are transposed straight from the source; other formats are widened into `rows` first.
                float* src = InPlaceRow(w, jc + j);
                nint lds = w.Cols;
                if (src != null)
                {
                    src += pc;
                }
                else
                {
                    for (int r = 0; r < 8; r++) w.WidenRow(jc + j + r, pc, kc, rows + r * kc);
                    src = rows;
                    lds = kc;
                }
                float* dst = bp + (nint)(j / Nr) * Nr * kc + (j % Nr);
                int p = 0;
                for (; p + 8 <= kc; p += 8) Transpose8x8(src + p, lds, dst + p * Nr, Nr);
                for (; p < kc; p++)
                    for (int r = 0; r < 8; r++) dst[p * Nr + r] = src[r * lds + p];
            }
        }
        for (; j < nc; j++)
        {
            w.WidenRow(jc + j, pc, kc, rows);
            float* dst = bp + (nint)(j / Nr) * Nr * kc + (j % Nr);
            for (int p = 0; p < kc; p++) dst[p * Nr] = rows[p];
        }
        int tail = nc % Nr;
        if (tail != 0)
        {
            float* panel = bp + (nint)(nc / Nr) * Nr * kc;
            for (int p = 0; p < kc; p++) new Span<float>(panel + p * Nr + tail, Nr - tail).Clear();
        }
    }

    // Address of row `row` when the weight is F32 in memory (packing then reads it in place), else null. The type test
    // is a JIT-time constant in each specialization, so other formats pay nothing for it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* InPlaceRow<TB>(in TB w, int row) where TB : struct, IGemmWeights
        => typeof(TB) == typeof(GemmF32Weights) ? Unsafe.As<TB, GemmF32Weights>(ref Unsafe.AsRef(in w)).Row(row) : null;

    // dst[q·ldd + r] = src[r·lds + q] for r, q < 8 (unpack → shuffle → 128-bit lane permute).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, nint lds, float* dst, nint ldd)
    {
        var r0 = Avx.LoadVector256(src); var r1 = Avx.LoadVector256(src + lds);
        var r2 = Avx.LoadVector256(src + 2 * lds); var r3 = Avx.LoadVector256(src + 3 * lds);
        var r4 = Avx.LoadVector256(src + 4 * lds); var r5 = Avx.LoadVector256(src + 5 * lds);
        var r6 = Avx.LoadVector256(src + 6 * lds); var r7 = Avx.LoadVector256(src + 7 * lds);
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }

    // dst[q·ldd + r] = src[r·lds + q] for r, q < 4 (the SSE transpose: unpack, then move low/high halves).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x4(float* src, nint lds, float* dst, nint ldd)
    {
        var r0 = Sse.LoadVector128(src); var r1 = Sse.LoadVector128(src + lds);
        var r2 = Sse.LoadVector128(src + 2 * lds); var r3 = Sse.LoadVector128(src + 3 * lds);
        var t0 = Sse.UnpackLow(r0, r1); var t1 = Sse.UnpackLow(r2, r3);
        var t2 = Sse.UnpackHigh(r0, r1); var t3 = Sse.UnpackHigh(r2, r3);
        Sse.Store(dst, Sse.MoveLowToHigh(t0, t1));
        Sse.Store(dst + ldd, Sse.MoveHighToLow(t1, t0));
        Sse.Store(dst + 2 * ldd, Sse.MoveLowToHigh(t2, t3));
        Sse.Store(dst + 3 * ldd, Sse.MoveHighToLow(t3, t2));
    }

    // B stored (k, n): micro-panel q holds, for each p, B[pc + p, jc + 32q + 0..31] — contiguous row pieces.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip tier-0 and OSR code
    private static void PackBCols<TB>(in TB w, int jc, int nc, int pc, int kc, float* bp, float* row) where TB : struct, IGemmWeights
    {
        int full = nc / Nr, tail = nc % Nr;
        for (int p = 0; p < kc; p++)
        {
            float* src = InPlaceRow(w, pc + p);
            if (src != null)
            {
                src += jc;
            }
            else
            {
                w.WidenRow(pc + p, jc, nc, row);
                src = row;
            }
            float* dst = bp + p * Nr;
            for (int q = 0; q < full; q++)
                Copy32(src + q * Nr, dst + (nint)q * Nr * kc);
            if (tail != 0)
            {
                float* d = dst + (nint)full * Nr * kc;
                for (int j = 0; j < tail; j++) d[j] = src[full * Nr + j];
                for (int j = tail; j < Nr; j++) d[j] = 0;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy32(float* src, float* dst)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512.Store(Vector512.Load(src), dst);
            Vector512.Store(Vector512.Load(src + 16), dst + 16);
        }
        else
        {
            for (int i = 0; i < Nr; i += 8) Vector256.Store(Vector256.Load(src + i), dst + i);
        }
    }

    // A stored (m, k) row-major: micro-panel r holds, for each p, A[ic + 12r + 0..11, pc + p] (rows past m are 0).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip tier-0 and OSR code
    private static void PackARows(float* a, nint lda, int ic, int mc, int pc, int kc, float* ap)
    {
        for (int ir = 0; ir < mc; ir += Mr)
        {
            int mr = Math.Min(Mr, mc - ir);
            float* panel = ap + (nint)ir * kc;
            int r0 = 0;
            if (Avx.IsSupported && mr >= 8)
            {
                // Rows 0..7 of the panel via 8 × 8 transposes, rows 8..11 via 4 × 4 ones; leftovers scalar.
                float* src = a + (ic + ir) * lda + pc;
                int p = 0;
                for (; p + 8 <= kc; p += 8) Transpose8x8(src + p, lda, panel + p * Mr, Mr);
                for (; p < kc; p++)
                    for (int r = 0; r < 8; r++) panel[p * Mr + r] = src[r * lda + p];
                r0 = 8;
                if (mr == Mr)
                {
                    src += 8 * lda;
                    for (p = 0; p + 4 <= kc; p += 4) Transpose4x4(src + p, lda, panel + p * Mr + 8, Mr);
                    for (; p < kc; p++)
                        for (int r = 0; r < 4; r++) panel[p * Mr + 8 + r] = src[r * lda + p];
                    continue;
                }
            }
            for (int r = r0; r < mr; r++)
            {
                float* src = a + (ic + ir + r) * lda + pc;
                float* dst = panel + r;
                for (int p = 0; p < kc; p++) dst[p * Mr] = src[p];
            }
            for (int r = mr; r < Mr; r++)
                for (int p = 0; p < kc; p++) panel[p * Mr + r] = 0;
        }
    }

    // A stored (k, m) (A[i, p] = a[p·lda + i], e.g. dyᵀ): each packed step is 12 contiguous values. The p loop is
    // outermost so each source row segment (mc floats) is read once, front to back, and scattered to the block's
    // micro-panels; panel-by-panel reading would revisit every row mc / 12 times at a stride of lda, which for a
    // power-of-two lda maps all rows to the same cache sets. PackAheadRows: how far ahead the next rows are prefetched.
    private const int PackAheadRows = 8;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip tier-0 and OSR code
    private static void PackAKMajor(float* a, nint lda, int ic, int mc, int pc, int kc, float* ap)
    {
        int full = mc / Mr, tail = mc % Mr;
        for (int p = 0; p < kc; p++)
        {
            float* src = a + (pc + p) * lda + ic;
            float* dst = ap + p * Mr;
            // Rows are lda apart, a stride the hardware prefetchers follow poorly: ask for the row segment
            // PackAheadRows ahead (measured: dYᵀ·X medians +1–3% on the gemm-bench shapes).
            if (p + PackAheadRows < kc)
            {
                float* ahead = src + PackAheadRows * lda;
                for (int f = 0; f < mc; f += 16) Sse.Prefetch0(ahead + f);
            }
            for (int q = 0; q < full; q++)
            {
                // 12 = 8 + 4 floats: two vector moves instead of 12 scalar ones.
                float* d = dst + (nint)q * Mr * kc;
                Vector256.Store(Vector256.Load(src + q * Mr), d);
                Vector128.Store(Vector128.Load(src + q * Mr + 8), d + 8);
            }
            if (tail != 0)
            {
                float* d = dst + (nint)full * Mr * kc;
                int r = 0;
                for (; r < tail; r++) d[r] = src[full * Mr + r];
                for (; r < Mr; r++) d[r] = 0;
            }
        }
    }
}
