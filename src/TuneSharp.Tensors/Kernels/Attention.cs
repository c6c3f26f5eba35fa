// Flash-style causal self-attention forward (online softmax, Dao et al. 2022) and backward (FlashAttention-2,
// Dao 2023, Alg. 2) on the CPU; masking/softcap/GQA semantics follow HF modeling_llama.py and modeling_gemma2.py eager attention.
using System.Buffers;
using System.Runtime.Intrinsics;
using TuneSharp.Tensors.Threading;
using static TuneSharp.Tensors.Kernels.AttentionMicroKernels;

namespace TuneSharp.Tensors.Kernels;

/// <summary>
/// Attention over q (B, Tq, nh, hs), k/v (B, KvCapacity, nkv, hs) → o (B, Tq, nh, hs) with GQA, causal and sliding-window
/// masks, Gemma-2 logit softcap and an optional key padding mask (B, Tk) of bytes (1 = attend, 0 = padding).
/// Memory per worker is one (Br·G × 64) score tile plus packed K/V panels — never a (Tq, Tk) matrix.
/// Query rows that see no key output zeros, get lse = −∞ and receive zero gradients.
/// </summary>
public static unsafe class Attention
{
    /// <summary>Keys per tile (Bc): four 16-lane vectors per score row.</summary>
    private const int KeyBlock = 64;

    /// <summary>Below this many multiply-adds a call runs on one thread (fork/join costs more).</summary>
    private const long ParallelThreshold = 1 << 17;

    /// <summary>
    /// o = softmax(mask(softcap(q·kᵀ·scale)))·v per head; lse (B, nh, Tq) receives log Σ exp of the masked scores
    /// (pass an empty span when no backward follows, e.g. generation).
    /// </summary>
    public static void Forward(in AttentionShape shape, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        ReadOnlySpan<byte> keyMask, Span<float> o, Span<float> lse)
    {
        var s = shape;
        ValidateInputs(s, q, k, v, keyMask);
        CheckLength("o", o.Length, s.QueryElements, "B·Tq·nh·hs");
        if (!lse.IsEmpty) CheckLength("lse", lse.Length, s.LseElements, "B·nh·Tq");
        if (s.QueryElements == 0) return;
        int maskStride = keyMask.IsEmpty ? 0 : s.MaskStride(keyMask.Length);
        fixed (float* pq = q, pk = k, pv = v, po = o, pl = lse)
        fixed (byte* pm = keyMask)
        {
            var c = new Ctx(s, pq, pk, pv, pm, maskStride, po, lse.IsEmpty ? null : pl);
            if (s.QueryLength <= 2) ForwardDecode(c);
            else ForwardTiled(c);
        }
    }

    /// <summary>
    /// Given dO (B, Tq, nh, hs) and the forward's o and lse, writes dq (B, Tq, nh, hs) and dk, dv (k/v layout
    /// (B, KvCapacity, nkv, hs); rows ≥ Tk are set to zero). dk/dv sum over the query heads of each GQA group.
    /// </summary>
    public static void Backward(in AttentionShape shape, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        ReadOnlySpan<byte> keyMask, ReadOnlySpan<float> o, ReadOnlySpan<float> lse, ReadOnlySpan<float> dO,
        Span<float> dq, Span<float> dk, Span<float> dv)
    {
        var s = shape;
        ValidateInputs(s, q, k, v, keyMask);
        CheckLength("o", o.Length, s.QueryElements, "B·Tq·nh·hs");
        CheckLength("lse", lse.Length, s.LseElements, "B·nh·Tq");
        CheckLength("dO", dO.Length, s.QueryElements, "B·Tq·nh·hs");
        CheckLength("dq", dq.Length, s.QueryElements, "B·Tq·nh·hs");
        CheckLength("dk", dk.Length, s.KvElements, "B·KvCapacity·nkv·hs");
        CheckLength("dv", dv.Length, s.KvElements, "B·KvCapacity·nkv·hs");
        dq.Clear();
        dk.Clear();
        dv.Clear();
        if (s.QueryElements == 0 || s.KeyLength == 0) return;
        int maskStride = keyMask.IsEmpty ? 0 : s.MaskStride(keyMask.Length);
        var dRows = ArrayPool<float>.Shared.Rent((int)s.LseElements);
        try
        {
            fixed (float* pq = q, pk = k, pv = v, po = o, pl = lse, pdo = dO, pdq = dq, pdk = dk, pdv = dv, pD = dRows)
            fixed (byte* pm = keyMask)
            {
                var c = new Ctx(s, pq, pk, pv, pm, maskStride, po, pl) { DO = pdo, DQ = pdq, DK = pdk, DV = pdv, D = pD };
                // D_i = rowsum(dO_i ⊙ O_i) (FlashAttention-2, Alg. 2 line 4), laid out like lse.
                int hs = s.HeadSize;
                for (int b = 0; b < s.Batch; b++)
                    for (int i = 0; i < s.QueryLength; i++)
                        for (int h = 0; h < s.Heads; h++)
                        {
                            long off = (((long)b * s.QueryLength + i) * s.Heads + h) * hs;
                            pD[((long)b * s.Heads + h) * s.QueryLength + i] = Dot(pdo + off, po + off, hs);
                        }
                BackwardTiled(c);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(dRows);
        }
    }

    /// <summary>Pointers and sizes shared by the workers of one call.</summary>
    private readonly struct Ctx(AttentionShape s, float* q, float* k, float* v, byte* mask, int maskStride, float* o, float* lse)
    {
        public readonly AttentionShape S = s;
        public readonly float* Q = q, K = k, V = v, O = o, Lse = lse;
        public readonly byte* Mask = mask;
        public readonly int MaskStride = maskStride;
        public float* DO { get; init; }
        public float* DQ { get; init; }
        public float* DK { get; init; }
        public float* DV { get; init; }
        public float* D { get; init; }

        /// <summary>Queries per head in one tile: about 96 rows per tile over the GQA group.</summary>
        public int QueryBlock => Math.Max(4, 96 / S.GroupSize / 4 * 4);

        public long QRow(int b, int i, int h) => (((long)b * S.QueryLength + i) * S.Heads + h) * S.HeadSize;

        public long KvRow(int b, int j, int kvh) => (((long)b * S.KvCapacity + j) * S.KvHeads + kvh) * S.HeadSize;

        public long LseIndex(int b, int h, int i) => ((long)b * S.Heads + h) * S.QueryLength + i;

        public bool KeyAllowed(int b, int j) => Mask == null || Mask[(long)b * MaskStride + j] != 0;

        /// <summary>Visible key range [begin, end) for query positions p0..p1 from the causal and window masks.</summary>
        public void KeyRange(long p0, long p1, out int begin, out int end)
        {
            begin = S.SlidingWindow > 0 ? (int)Math.Clamp(p0 - S.SlidingWindow + 1, 0, S.KeyLength) : 0;
            end = S.Causal ? (int)Math.Clamp(p1 + 1, 0, S.KeyLength) : S.KeyLength;
        }
    }

    // ---------------------------------------------------------------- forward

    /// <summary>
    /// Generation hot path (Tq ≤ 2), flash-decoding style: one work item per (b, kv head, key split) computes every
    /// query row of the GQA group over its share of the keys, so each K/V row is read once per group (decode is bound
    /// by K/V reads), and splitting the keys keeps all cores busy when B·nkv is small. Partial (max, sum, Σp·v) per
    /// split are merged afterwards with the usual log-sum-exp rescaling.
    /// </summary>
    private static void ForwardDecode(Ctx c)
    {
        var s = c.S;
        int g = s.GroupSize, hs = s.HeadSize, tq = s.QueryLength, rows = g * tq;
        c.KeyRange(s.QueryOffset, (long)s.QueryOffset + tq - 1, out int uBeg, out int uEnd);
        int n = Math.Max(0, uEnd - uBeg);
        int groups = s.Batch * s.KvHeads;
        int wanted = (2 * KernelPool.Threads + groups - 1) / groups;
        int splits = Math.Clamp(Math.Min(wanted, n / 256), 1, Math.Max(1, n));
        int chunk = n == 0 ? 0 : (n + splits - 1) / splits;
        int chunkPad = PadToLanes(chunk);
        int items = groups * splits, partial = hs + 2;
        long work = 4L * rows * n * hs * groups;
        var partials = ArrayPool<float>.Shared.Rent(items * rows * partial);
        try
        {
            fixed (float* pp = partials)
            {
                float* part = pp;
                RoundRobin(items, work, rows * chunkPad + Lanes, (item, scratch) =>
                {
                    int split = item % splits, grp = item / splits;
                    int cBeg = uBeg + split * chunk, cEnd = Math.Min(uEnd, cBeg + chunk);
                    DecodeChunk(c, grp / s.KvHeads, grp % s.KvHeads, cBeg, cEnd, chunkPad, scratch, part + (long)item * rows * partial);
                });
                // Merge the splits of each (b, h, i): M = max m_s, L = Σ l_s·e^(m_s − M), o = Σ acc_s·e^(m_s − M) / L.
                for (int grp = 0; grp < groups; grp++)
                    for (int r = 0; r < rows; r++)
                    {
                        int b = grp / s.KvHeads, kvh = grp % s.KvHeads, h = kvh * g + r / tq, i = r % tq;
                        float mMax = float.NegativeInfinity;
                        for (int sp = 0; sp < splits; sp++) mMax = MathF.Max(mMax, part[((long)(grp * splits + sp) * rows + r) * partial]);
                        float* dst = c.O + c.QRow(b, i, h);
                        new Span<float>(dst, hs).Clear();
                        if (float.IsNegativeInfinity(mMax))
                        {
                            if (c.Lse != null) c.Lse[c.LseIndex(b, h, i)] = float.NegativeInfinity;
                            continue;
                        }
                        float l = 0;
                        for (int sp = 0; sp < splits; sp++)
                        {
                            float* pr = part + ((long)(grp * splits + sp) * rows + r) * partial;
                            if (float.IsNegativeInfinity(pr[0])) continue;
                            float w = MathF.Exp(pr[0] - mMax);
                            l += pr[1] * w;
                            Axpy(w, pr + 2, dst, hs);
                        }
                        AttentionMicroKernels.Scale(dst, 1f / l, hs);
                        if (c.Lse != null) c.Lse[c.LseIndex(b, h, i)] = mMax + MathF.Log(l);
                    }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(partials);
        }
    }

    /// <summary>
    /// Keys [cBeg, cEnd) against the G·Tq query rows of kv head kvh: out[r] = (max, Σ exp(s − max), Σ exp(s − max)·v).
    /// K and V are walked in 64-key blocks so a block stays in L1 while every row of the group uses it.
    /// </summary>
    private static void DecodeChunk(Ctx c, int b, int kvh, int cBeg, int cEnd, int chunkPad, float* scores, float* output)
    {
        var s = c.S;
        int g = s.GroupSize, hs = s.HeadSize, tq = s.QueryLength, rows = g * tq, n = Math.Max(0, cEnd - cBeg), partial = hs + 2;
        long rowStride = (long)s.KvHeads * hs;
        for (int jb = 0; jb < n; jb += KeyBlock)
        {
            int nb = Math.Min(KeyBlock, n - jb);
            float* kBlock = c.K + c.KvRow(b, cBeg + jb, kvh);
            for (int r = 0; r < rows; r++)
                DecodeScores(c.Q + c.QRow(b, r % tq, kvh * g + r / tq), kBlock, rowStride, nb, hs, scores + (long)r * chunkPad + jb);
        }
        float cap = s.SoftCap, scale = s.Scale;
        for (int r = 0; r < rows; r++)
        {
            float* row = scores + (long)r * chunkPad;
            float* outRow = output + (long)r * partial;
            long pos = (long)s.QueryOffset + r % tq;
            long lo = s.SlidingWindow > 0 ? pos - s.SlidingWindow + 1 : long.MinValue, hi = s.Causal ? pos : long.MaxValue;
            byte* maskRow = c.Mask == null ? null : c.Mask + (long)b * c.MaskStride;
            for (int t = 0; t < n; t++)
            {
                int j = cBeg + t;
                float x = row[t] * scale;
                if (cap > 0) x = cap * MathF.Tanh(x / cap);
                row[t] = j >= lo && j <= hi && (maskRow == null || maskRow[j] != 0) ? x : float.NegativeInfinity;
            }
            for (int t = n; t < chunkPad; t++) row[t] = float.NegativeInfinity;
            float m = chunkPad > 0 ? MaxPadded(row, chunkPad) : float.NegativeInfinity;
            outRow[0] = m;
            outRow[1] = float.IsNegativeInfinity(m) ? 0f : ExpShiftSumPadded(row, m, chunkPad);
            new Span<float>(outRow + 2, hs).Clear();
        }
        for (int jb = 0; jb < n; jb += KeyBlock)
        {
            int nb = Math.Min(KeyBlock, n - jb);
            float* vBlock = c.V + c.KvRow(b, cBeg + jb, kvh);
            for (int r = 0; r < rows; r++)
            {
                float* outRow = output + (long)r * partial;
                if (!float.IsNegativeInfinity(outRow[0]))
                    DecodeWeightedSum(scores + (long)r * chunkPad + jb, vBlock, rowStride, nb, hs, outRow + 2);
            }
        }
    }

    /// <summary>scores[t] = q · k_t for n keys whose rows are rowStride apart; four keys per step keep four FMA chains in flight.</summary>
    private static void DecodeScores(float* q, float* k, long rowStride, int n, int hs, float* scores)
    {
        int t = 0;
        if (Vector512.IsHardwareAccelerated && hs % 16 == 0)
        {
            for (; t + 4 <= n; t += 4)
            {
                float* r0 = k + t * rowStride, r1 = r0 + rowStride, r2 = r1 + rowStride, r3 = r2 + rowStride;
                var a0 = Vector512<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
                for (int d = 0; d < hs; d += 16)
                {
                    var x = Vector512.Load(q + d);
                    a0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(r0 + d), a0);
                    a1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(r1 + d), a1);
                    a2 = Vector512.FusedMultiplyAdd(x, Vector512.Load(r2 + d), a2);
                    a3 = Vector512.FusedMultiplyAdd(x, Vector512.Load(r3 + d), a3);
                }
                scores[t] = HSum(a0);
                scores[t + 1] = HSum(a1);
                scores[t + 2] = HSum(a2);
                scores[t + 3] = HSum(a3);
            }
        }
        for (; t < n; t++) scores[t] = Dot(q, k + t * rowStride, hs);
    }

    /// <summary>acc[0..hs) += Σ_t p[t] · v_t with the accumulators held in registers 64 columns at a time.</summary>
    private static void DecodeWeightedSum(float* p, float* v, long rowStride, int n, int hs, float* acc)
    {
        int d = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; d + 64 <= hs; d += 64)
            {
                var a0 = Vector512.Load(acc + d); var a1 = Vector512.Load(acc + d + 16);
                var a2 = Vector512.Load(acc + d + 32); var a3 = Vector512.Load(acc + d + 48);
                float* row = v + d;
                for (int t = 0; t < n; t++, row += rowStride)
                {
                    var w = Vector512.Create(p[t]);
                    a0 = Vector512.FusedMultiplyAdd(w, Vector512.Load(row), a0);
                    a1 = Vector512.FusedMultiplyAdd(w, Vector512.Load(row + 16), a1);
                    a2 = Vector512.FusedMultiplyAdd(w, Vector512.Load(row + 32), a2);
                    a3 = Vector512.FusedMultiplyAdd(w, Vector512.Load(row + 48), a3);
                }
                a0.Store(acc + d); a1.Store(acc + d + 16); a2.Store(acc + d + 32); a3.Store(acc + d + 48);
            }
            for (; d + 16 <= hs; d += 16)
            {
                var a0 = Vector512.Load(acc + d);
                float* row = v + d;
                for (int t = 0; t < n; t++, row += rowStride) a0 = Vector512.FusedMultiplyAdd(Vector512.Create(p[t]), Vector512.Load(row), a0);
                a0.Store(acc + d);
            }
        }
        if (d < hs)
        {
            float* row = v;
            for (int t = 0; t < n; t++, row += rowStride)
                for (int e = d; e < hs; e++) acc[e] = MathF.FusedMultiplyAdd(p[t], row[e], acc[e]);
        }
    }

    /// <summary>Tiled path: one (b, kv head, query block) per work item with the whole GQA group's rows sharing K/V panels.</summary>
    private static void ForwardTiled(Ctx c)
    {
        var s = c.S;
        int br = c.QueryBlock, g = s.GroupSize, hsPad = PadToLanes(s.HeadSize);
        int nQb = (s.QueryLength + br - 1) / br;
        int items = s.Batch * s.KvHeads * nQb;
        int rows = g * br, z = Math.Max(Math.Max(hsPad, KeyBlock), rows);
        int scratchSize = rows * KeyBlock + rows * hsPad + 2 * rows + s.HeadSize * KeyBlock + KeyBlock * hsPad + KeyBlock + z;
        long work = 2L * s.Batch * s.Heads * s.QueryLength * s.KeyLength * s.HeadSize;
        RoundRobin(items, work, scratchSize, (item, scratch) =>
        {
            int qb = item % nQb;
            int kvh = item / nQb % s.KvHeads;
            int b = item / nQb / s.KvHeads;
            ForwardBlock(c, b, kvh, qb, scratch);
        });
    }

    private static void ForwardBlock(Ctx c, int b, int kvh, int qb, float* scratch)
    {
        var s = c.S;
        int hs = s.HeadSize, hsPad = PadToLanes(hs), g = s.GroupSize, br = c.QueryBlock;
        int i0 = qb * br, nr = Math.Min(br, s.QueryLength - i0), rows = g * nr, rowsMax = g * br;
        float* S = scratch;
        float* O = S + rowsMax * KeyBlock;
        float* m = O + rowsMax * hsPad;
        float* l = m + rowsMax;
        float* kt = l + rowsMax;
        float* vp = kt + hs * KeyBlock;
        float* pad = vp + KeyBlock * hsPad;
        float* trash = pad + KeyBlock;
        new Span<float>(O, rows * hsPad).Clear();
        new Span<float>(m, rows).Fill(float.NegativeInfinity);
        new Span<float>(l, rows).Clear();

        long p0 = (long)s.QueryOffset + i0;
        c.KeyRange(p0, p0 + nr - 1, out int jBeg, out int jEnd);
        long qStride = (long)s.Heads * hs;
        for (int j0 = jBeg; j0 < jEnd; j0 += KeyBlock)
        {
            int nc = Math.Min(KeyBlock, jEnd - j0);
            if (!FillPad(c, b, j0, nc, pad)) continue;
            PackTransposed(c.K, c, b, kvh, j0, nc, kt);
            for (int jj = 0; jj < nc; jj++)
            {
                float* src = c.V + c.KvRow(b, j0 + jj, kvh);
                float* dstRow = vp + jj * hsPad;
                new ReadOnlySpan<float>(src, hs).CopyTo(new Span<float>(dstRow, hs));
                for (int d = hs; d < hsPad; d++) dstRow[d] = 0;
            }
            // S = Q·Kᵀ for each head of the group (its query rows are strided by nh·hs in q).
            new Span<float>(S, rows * KeyBlock).Clear();
            for (int gi = 0; gi < g; gi++)
            {
                int h = kvh * g + gi;
                RowsTimesPanel(c.Q + c.QRow(b, i0, h), qStride, nr, hs, kt, KeyBlock, S + gi * nr * KeyBlock, KeyBlock, KeyBlock, trash);
            }
            // Online softmax: rescale the running O and l by exp(m_old − m_new) (Dao et al. 2022, Alg. 1).
            for (int r = 0; r < rows; r++)
            {
                long pos = p0 + r % nr;
                float* row = S + r * KeyBlock;
                TransformScores(row, s, pos - j0, pad, null);
                float mt = MaxPadded(row, KeyBlock);
                float mNew = MathF.Max(m[r], mt);
                if (float.IsNegativeInfinity(mNew))
                {
                    new Span<float>(row, KeyBlock).Clear();
                    continue;
                }
                float alpha = MathF.Exp(m[r] - mNew);
                float sum = ExpShiftSumPadded(row, mNew, KeyBlock);
                l[r] = l[r] * alpha + sum;
                if (alpha != 1f) AttentionMicroKernels.Scale(O + r * hsPad, alpha, hsPad);
                m[r] = mNew;
            }
            RowsTimesPanel(S, KeyBlock, rows, nc, vp, hsPad, O, hsPad, hsPad, trash);
        }

        for (int r = 0; r < rows; r++)
        {
            int gi = r / nr, ii = r % nr, h = kvh * g + gi;
            float* dst = c.O + c.QRow(b, i0 + ii, h);
            float* acc = O + r * hsPad;
            if (l[r] > 0)
            {
                float inv = 1f / l[r];
                for (int d = 0; d < hs; d++) dst[d] = acc[d] * inv;
                if (c.Lse != null) c.Lse[c.LseIndex(b, h, i0 + ii)] = m[r] + MathF.Log(l[r]);
            }
            else
            {
                new Span<float>(dst, hs).Clear();
                if (c.Lse != null) c.Lse[c.LseIndex(b, h, i0 + ii)] = float.NegativeInfinity;
            }
        }
    }

    /// <summary>pad[jj] = 0 for usable keys j0+jj (in range and not padding), −∞ otherwise; false when none is usable.</summary>
    private static bool FillPad(Ctx c, int b, int j0, int nc, float* pad)
    {
        bool any = false;
        for (int jj = 0; jj < KeyBlock; jj++)
        {
            bool ok = jj < nc && c.KeyAllowed(b, j0 + jj);
            pad[jj] = ok ? 0f : float.NegativeInfinity;
            any |= ok;
        }
        return any;
    }

    /// <summary>panel (hs × 64)[d, jj] = src[b, j0+jj, kvh, d]; columns ≥ nc are zero.</summary>
    private static void PackTransposed(float* src, Ctx c, int b, int kvh, int j0, int nc, float* panel)
    {
        int hs = c.S.HeadSize;
        for (int jj = 0; jj < nc; jj++)
        {
            float* row = src + c.KvRow(b, j0 + jj, kvh);
            for (int d = 0; d < hs; d++) panel[d * KeyBlock + jj] = row[d];
        }
        if (nc < KeyBlock)
            for (int d = 0; d < hs; d++) new Span<float>(panel + d * KeyBlock + nc, KeyBlock - nc).Clear();
    }

    /// <summary>
    /// In place on one 64-wide score row: x = raw·scale, softcap x = cap·tanh(x/cap) (before masking, as Gemma-2 does),
    /// then −∞ where the key is masked (causal: jj ≤ rel; window: rel − jj &lt; window; pad). rel = pos − j0.
    /// When capDeriv is given it receives 1 − tanh² (the softcap derivative) per element.
    /// </summary>
    private static void TransformScores(float* row, in AttentionShape s, long rel, float* pad, float* capDeriv)
    {
        float scale = s.Scale, cap = s.SoftCap;
        // Visible iff low ≤ jj ≤ high (in tile coordinates).
        float high = s.Causal ? (float)Math.Clamp(rel, -1, 1L << 20) : 1 << 20;
        float low = s.SlidingWindow > 0 ? (float)Math.Clamp(rel - s.SlidingWindow + 1, -1, 1L << 20) : -1;
        if (cap > 0)
        {
            for (int jj = 0; jj < KeyBlock; jj++)
            {
                float t = MathF.Tanh(row[jj] * scale / cap);
                if (capDeriv != null) capDeriv[jj] = 1f - t * t;
                row[jj] = jj <= high && jj >= low && pad[jj] == 0 ? cap * t : float.NegativeInfinity;
            }
            return;
        }
        if (Vector512.IsHardwareAccelerated)
        {
            var iota = Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            var vHigh = Vector512.Create(high);
            var vLow = Vector512.Create(low);
            var vScale = Vector512.Create(scale);
            var ninf = Vector512.Create(float.NegativeInfinity);
            for (int jj = 0; jj < KeyBlock; jj += 16)
            {
                var idx = iota + Vector512.Create((float)jj);
                var visible = Vector512.LessThanOrEqual(idx, vHigh) & Vector512.GreaterThanOrEqual(idx, vLow)
                    & Vector512.Equals(Vector512.Load(pad + jj), Vector512<float>.Zero);
                var x = Vector512.Load(row + jj) * vScale;
                Vector512.ConditionalSelect(visible, x, ninf).Store(row + jj);
            }
            return;
        }
        for (int jj = 0; jj < KeyBlock; jj++)
            row[jj] = jj <= high && jj >= low && pad[jj] == 0 ? row[jj] * scale : float.NegativeInfinity;
    }

    // ---------------------------------------------------------------- backward

    /// <summary>
    /// FlashAttention-2 backward with the key block as the outer loop: each work item (b, kv head, key block) owns its
    /// dk/dv rows (summed over the GQA group), so only dq is shared; each worker accumulates dq privately and the
    /// copies are added at the end (deterministic for a fixed thread count).
    /// </summary>
    private static void BackwardTiled(Ctx c)
    {
        var s = c.S;
        int br = c.QueryBlock, g = s.GroupSize, hs = s.HeadSize, hsPad = PadToLanes(hs);
        int nKb = (s.KeyLength + KeyBlock - 1) / KeyBlock;
        int items = s.Batch * s.KvHeads * nKb;
        int rows = g * br, z = Math.Max(Math.Max(hsPad, KeyBlock), rows);
        int scratchSize = 2 * rows * KeyBlock + 3 * rows * hsPad + 2 * hs * KeyBlock + 3 * KeyBlock * hsPad + KeyBlock + z;
        long work = 5L * s.Batch * s.Heads * s.QueryLength * s.KeyLength * s.HeadSize;
        int workers = WorkerCount(items, work);
        long qElems = s.QueryElements;
        var privateDq = new float[workers][];
        KernelPool.For(workers, (w0, w1) =>
        {
            var scratchArray = ArrayPool<float>.Shared.Rent(scratchSize);
            try
            {
                fixed (float* scratch = scratchArray)
                {
                    for (int w = w0; w < w1; w++)
                    {
                        float* dqTarget = c.DQ;
                        if (w > 0)
                        {
                            privateDq[w] = ArrayPool<float>.Shared.Rent((int)qElems);
                            privateDq[w].AsSpan(0, (int)qElems).Clear();
                        }
                        fixed (float* priv = privateDq[w])
                        {
                            if (w > 0) dqTarget = priv;
                            for (int item = w; item < items; item += workers)
                            {
                                int kb = item % nKb;
                                int kvh = item / nKb % s.KvHeads;
                                int b = item / nKb / s.KvHeads;
                                BackwardBlock(c, b, kvh, kb, scratch, dqTarget);
                            }
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(scratchArray);
            }
        });
        for (int w = 1; w < workers; w++)
        {
            fixed (float* priv = privateDq[w])
                Axpy(1f, priv, c.DQ, (int)qElems);
            ArrayPool<float>.Shared.Return(privateDq[w]);
        }
    }

    private static void BackwardBlock(Ctx c, int b, int kvh, int kb, float* scratch, float* dqTarget)
    {
        var s = c.S;
        int hs = s.HeadSize, hsPad = PadToLanes(hs), g = s.GroupSize, br = c.QueryBlock, rowsMax = g * br;
        int j0 = kb * KeyBlock, nc = Math.Min(KeyBlock, s.KeyLength - j0), jLast = j0 + nc - 1;
        float* S = scratch;                       // (R × 64) scores, then P
        float* dP = S + rowsMax * KeyBlock;       // (R × 64) dO·Vᵀ, then dS
        float* qp = dP + rowsMax * KeyBlock;      // (R × hsPad) packed q rows
        float* dop = qp + rowsMax * hsPad;        // (R × hsPad) packed dO rows
        float* dqt = dop + rowsMax * hsPad;       // (R × hsPad) dS·K
        float* kt = dqt + rowsMax * hsPad;        // (hs × 64) Kᵀ
        float* vt = kt + hs * KeyBlock;           // (hs × 64) Vᵀ
        float* kp = vt + hs * KeyBlock;           // (64 × hsPad) K
        float* dkAcc = kp + KeyBlock * hsPad;     // (64 × hsPad)
        float* dvAcc = dkAcc + KeyBlock * hsPad;  // (64 × hsPad)
        float* pad = dvAcc + KeyBlock * hsPad;
        float* trash = pad + KeyBlock;            // (z) sink for the missing rows of a group of 4

        if (!FillPad(c, b, j0, nc, pad)) return;
        // Queries that can see some key of this block: causal pos ≥ j0, window pos < jLast + window.
        int off = s.QueryOffset;
        int iBeg = s.Causal ? (int)Math.Clamp((long)j0 - off, 0, s.QueryLength) : 0;
        int iEnd = s.SlidingWindow > 0 ? (int)Math.Clamp((long)jLast + s.SlidingWindow - off, 0, s.QueryLength) : s.QueryLength;
        if (iEnd <= iBeg) return;

        PackTransposed(c.K, c, b, kvh, j0, nc, kt);
        PackTransposed(c.V, c, b, kvh, j0, nc, vt);
        for (int jj = 0; jj < nc; jj++) PackRow(c.K + c.KvRow(b, j0 + jj, kvh), kp + jj * hsPad, hs, hsPad);
        new Span<float>(dkAcc, 2 * KeyBlock * hsPad).Clear();
        long qStride = (long)s.Heads * hs;
        float scale = s.Scale;
        float* capBuf = stackalloc float[KeyBlock];
        float* capDeriv = s.SoftCap > 0 ? capBuf : null;

        for (int i0 = iBeg; i0 < iEnd; i0 += br)
        {
            int nr = Math.Min(br, iEnd - i0), rows = g * nr;
            new Span<float>(S, 2 * rowsMax * KeyBlock).Clear();
            for (int gi = 0; gi < g; gi++)
            {
                int h = kvh * g + gi;
                RowsTimesPanel(c.Q + c.QRow(b, i0, h), qStride, nr, hs, kt, KeyBlock, S + gi * nr * KeyBlock, KeyBlock, KeyBlock, trash);
                RowsTimesPanel(c.DO + c.QRow(b, i0, h), qStride, nr, hs, vt, KeyBlock, dP + gi * nr * KeyBlock, KeyBlock, KeyBlock, trash);
                for (int ii = 0; ii < nr; ii++)
                {
                    int r = gi * nr + ii;
                    PackRow(c.Q + c.QRow(b, i0 + ii, h), qp + r * hsPad, hs, hsPad);
                    PackRow(c.DO + c.QRow(b, i0 + ii, h), dop + r * hsPad, hs, hsPad);
                }
            }
            // P = exp(S − lse); dS = P ⊙ (dP − D) ⊙ softcap' · scale (scale folded in so dQ = dS·K, dK = dSᵀ·Q).
            for (int r = 0; r < rows; r++)
            {
                int gi = r / nr, ii = r % nr, h = kvh * g + gi;
                long li = c.LseIndex(b, h, i0 + ii);
                float L = c.Lse[li], dRow = c.D[li];
                float* row = S + r * KeyBlock, dRowP = dP + r * KeyBlock;
                if (float.IsNegativeInfinity(L))
                {
                    new Span<float>(row, KeyBlock).Clear();
                    new Span<float>(dRowP, KeyBlock).Clear();
                    continue;
                }
                TransformScores(row, s, (long)off + i0 + ii - j0, pad, capDeriv);
                ProbabilitiesAndDs(row, dRowP, L, dRow, scale, capDeriv);
            }
            // dV += Pᵀ·dO and dK += dSᵀ·Q read P and dS column-wise (aStep = 64): no transposed copies.
            RowsTimesPanel(S, 1, nc, rows, dop, hsPad, dvAcc, hsPad, hsPad, trash, KeyBlock);
            RowsTimesPanel(dP, 1, nc, rows, qp, hsPad, dkAcc, hsPad, hsPad, trash, KeyBlock);
            new Span<float>(dqt, rows * hsPad).Clear();
            RowsTimesPanel(dP, KeyBlock, rows, nc, kp, hsPad, dqt, hsPad, hsPad, trash);
            for (int r = 0; r < rows; r++)
            {
                int gi = r / nr, ii = r % nr, h = kvh * g + gi;
                Axpy(1f, dqt + r * hsPad, dqTarget + c.QRow(b, i0 + ii, h), hs);
            }
        }
        for (int jj = 0; jj < nc; jj++)
        {
            long at = c.KvRow(b, j0 + jj, kvh);
            new ReadOnlySpan<float>(dkAcc + jj * hsPad, hs).CopyTo(new Span<float>(c.DK + at, hs));
            new ReadOnlySpan<float>(dvAcc + jj * hsPad, hs).CopyTo(new Span<float>(c.DV + at, hs));
        }
    }

    /// <summary>row: masked scores → P = exp(s − lse); dRow: dP → dS = P·(dP − D)·capDeriv·scale. 64 wide.</summary>
    private static void ProbabilitiesAndDs(float* row, float* dRow, float lse, float dDot, float scale, float* capDeriv)
    {
        if (Vector512.IsHardwareAccelerated && capDeriv == null)
        {
            var vL = Vector512.Create(lse);
            var vD = Vector512.Create(dDot);
            var vS = Vector512.Create(scale);
            for (int jj = 0; jj < KeyBlock; jj += 16)
            {
                var p = Vector512.Exp(Vector512.Load(row + jj) - vL);
                p.Store(row + jj);
                (p * (Vector512.Load(dRow + jj) - vD) * vS).Store(dRow + jj);
            }
            return;
        }
        for (int jj = 0; jj < KeyBlock; jj++)
        {
            float p = MathF.Exp(row[jj] - lse);
            row[jj] = p;
            float ds = p * (dRow[jj] - dDot) * scale;
            dRow[jj] = capDeriv != null ? ds * capDeriv[jj] : ds;
        }
    }

    private static void PackRow(float* src, float* dst, int hs, int hsPad)
    {
        new ReadOnlySpan<float>(src, hs).CopyTo(new Span<float>(dst, hs));
        for (int d = hs; d < hsPad; d++) dst[d] = 0;
    }

    // ---------------------------------------------------------------- plumbing

    private static int WorkerCount(int items, long work) =>
        work < ParallelThreshold ? 1 : Math.Max(1, Math.Min(KernelPool.Threads, items));

    /// <summary>Runs body(item, scratch) for every item, dealt round-robin to the workers (causal blocks differ in cost).</summary>
    private static void RoundRobin(int items, long work, int scratchFloats, ItemBody body)
    {
        int workers = WorkerCount(items, work);
        KernelPool.For(workers, (w0, w1) =>
        {
            var scratchArray = ArrayPool<float>.Shared.Rent(scratchFloats);
            try
            {
                fixed (float* scratch = scratchArray)
                    for (int w = w0; w < w1; w++)
                        for (int item = w; item < items; item += workers) body(item, scratch);
            }
            finally
            {
                ArrayPool<float>.Shared.Return(scratchArray);
            }
        });
    }

    private delegate void ItemBody(int item, float* scratch);

    private static void ValidateInputs(in AttentionShape s, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<byte> keyMask)
    {
        s.Validate();
        CheckLength("q", q.Length, s.QueryElements, "B·Tq·nh·hs");
        CheckLength("k", k.Length, s.KvElements, "B·KvCapacity·nkv·hs");
        CheckLength("v", v.Length, s.KvElements, "B·KvCapacity·nkv·hs");
        if (!keyMask.IsEmpty) s.MaskStride(keyMask.Length);
    }

    private static void CheckLength(string name, int actual, long expected, string formula)
    {
        if (actual != expected)
            throw new ArgumentException($"Attention: {name} has {actual} elements, expected {formula} = {expected}", name);
    }
}
