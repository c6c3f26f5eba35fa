// Token embedding lookup (F32/BF16/F16 table → F32 rows, optional scale) and its scatter-add backward.
// Math: nn.Embedding; Gemma (modeling_gemma.py) multiplies by normalizer = sqrt(hidden_size) in the compute dtype.
// Scalar twin: Reference/EmbeddingReference.cs.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TuneSharp.Tensors.Kernels;

/// <summary>
/// ids: (N); table: (V, C) row-major; output / dout: (N, C); dtable: (V, C) F32.
/// Forward: output[t] = table[ids[t]]·scale (widened to F32 first). For Gemma in fp32 pass scale = (float)Math.Sqrt(C);
/// a caller emulating bf16 compute rounds the scale itself. Out-of-range ids throw, naming the id and V.
/// </summary>
public static unsafe class Embedding
{
    /// <summary>output (N, C) = table[ids]·scale for an F32 table (V, C).</summary>
    public static void Forward(ReadOnlySpan<int> ids, ReadOnlySpan<float> table, Span<float> output, int vocab, int cols, float scale = 1f)
    {
        Check(ids, table.Length, output.Length, vocab, cols, nameof(Forward));
        fixed (int* pi = ids)
        fixed (float* pt = table, po = output)
            ForAll(ids.Length, cols, (nint)pi, (nint)pt, (nint)po, scale, static (id, t, o, n, s) => RowF32((float*)t, (float*)o, n, s));
    }

    /// <summary>output (N, C) = widen(table[ids])·scale for a BF16 table (V, C).</summary>
    public static void Forward(ReadOnlySpan<int> ids, ReadOnlySpan<BFloat16> table, Span<float> output, int vocab, int cols, float scale = 1f)
    {
        Check(ids, table.Length, output.Length, vocab, cols, nameof(Forward));
        fixed (int* pi = ids)
        fixed (BFloat16* pt = table)
        fixed (float* po = output)
            ForAll(ids.Length, cols, (nint)pi, (nint)pt, (nint)po, scale, static (id, t, o, n, s) => RowBf16((ushort*)t, (float*)o, n, s), elementSize: 2);
    }

    /// <summary>output (N, C) = widen(table[ids])·scale for an F16 table (V, C).</summary>
    public static void Forward(ReadOnlySpan<int> ids, ReadOnlySpan<Half> table, Span<float> output, int vocab, int cols, float scale = 1f)
    {
        Check(ids, table.Length, output.Length, vocab, cols, nameof(Forward));
        fixed (int* pi = ids)
        fixed (Half* pt = table)
        fixed (float* po = output)
            ForAll(ids.Length, cols, (nint)pi, (nint)pt, (nint)po, scale, static (id, t, o, n, s) => RowF16((Half*)t, (float*)o, n, s), elementSize: 2);
    }

    /// <summary>
    /// dtable[ids[t]] += dout[t]·scale for every token t, in token order (repeated ids accumulate deterministically).
    /// dtable (V, C) is ACCUMULATED. Parallel over column blocks, so no two workers touch the same element.
    /// </summary>
    public static void Backward(ReadOnlySpan<int> ids, ReadOnlySpan<float> dout, Span<float> dtable, int vocab, int cols, float scale = 1f)
    {
        Check(ids, dtable.Length, dout.Length, vocab, cols, nameof(Backward));
        fixed (int* pi = ids)
        fixed (float* pd = dout, pt = dtable)
        {
            nint a = (nint)pi, b = (nint)pd, c = (nint)pt;
            int n = ids.Length;
            int blocks = (cols + 63) / 64;
            ElementwiseParallel.For(blocks, 2L * 64 * n, (k0, k1) =>
                ScatterBlock((int*)a, (float*)b, (float*)c, n, cols, k0 * 64, Math.Min(cols, k1 * 64), scale));
        }
    }

    private static void Check(ReadOnlySpan<int> ids, int tableLength, int outLength, int vocab, int cols, string op)
    {
        if (vocab <= 0 || cols <= 0) throw new ArgumentException($"Embedding.{op}: vocab ({vocab}) and C ({cols}) must be > 0.");
        if (tableLength != (long)vocab * cols) throw new ArgumentException($"Embedding.{op}: table length {tableLength} != V·C = {vocab}·{cols}.");
        if (outLength != (long)ids.Length * cols) throw new ArgumentException($"Embedding.{op}: rows length {outLength} != N·C = {ids.Length}·{cols}.");
        for (int t = 0; t < ids.Length; t++)
            if ((uint)ids[t] >= (uint)vocab)
                throw new ArgumentOutOfRangeException(nameof(ids), ids[t], $"Embedding.{op}: token id {ids[t]} at position {t} is outside the vocabulary of size {vocab}.");
    }

    private delegate void RowKernel(int id, nint tableRow, nint outRow, int cols, float scale);

    private static void ForAll(int n, int cols, nint ids, nint table, nint output, float scale, RowKernel row, int elementSize = 4)
    {
        ElementwiseParallel.For(n, cols, (t0, t1) =>
        {
            for (int t = t0; t < t1; t++)
            {
                int id = ((int*)ids)[t];
                row(id, table + (nint)((long)id * cols * elementSize), output + (nint)((long)t * cols * sizeof(float)), cols, scale);
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowF32(float* src, float* dst, int n, float scale)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vs = Vector512.Create(scale);
            for (; i <= n - 16; i += 16) Vector512.Store(Vector512.Load(src + i) * vs, dst + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vs = Vector256.Create(scale);
            for (; i <= n - 8; i += 8) Vector256.Store(Vector256.Load(src + i) * vs, dst + i);
        }
        for (; i < n; i++) dst[i] = src[i] * scale;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowBf16(ushort* src, float* dst, int n, float scale)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vs = Vector512.Create(scale);
            for (; i <= n - 32; i += 32)
            {
                // bf16 → f32 is a 16-bit left shift of the bits.
                var (lo, hi) = Vector512.Widen(Vector512.Load(src + i));
                Vector512.Store(Vector512.ShiftLeft(lo, 16).AsSingle() * vs, dst + i);
                Vector512.Store(Vector512.ShiftLeft(hi, 16).AsSingle() * vs, dst + i + 16);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vs = Vector256.Create(scale);
            for (; i <= n - 16; i += 16)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Load(src + i));
                Vector256.Store(Vector256.ShiftLeft(lo, 16).AsSingle() * vs, dst + i);
                Vector256.Store(Vector256.ShiftLeft(hi, 16).AsSingle() * vs, dst + i + 8);
            }
        }
        for (; i < n; i++) dst[i] = BFloat16.ToSingle(src[i]) * scale;
    }

    private static void RowF16(Half* src, float* dst, int n, float scale)
    {
        for (int i = 0; i < n; i++) dst[i] = (float)src[i] * scale;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScatterBlock(int* ids, float* dout, float* dtable, int n, int cols, int c0, int c1, float scale)
    {
        for (int t = 0; t < n; t++)
        {
            float* src = dout + (long)t * cols;
            float* dst = dtable + (long)ids[t] * cols;
            int c = c0;
            if (Vector512.IsHardwareAccelerated)
            {
                var vs = Vector512.Create(scale);
                for (; c <= c1 - 16; c += 16) Vector512.Store(Vector512.Load(dst + c) + Vector512.Load(src + c) * vs, dst + c);
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                var vs = Vector256.Create(scale);
                for (; c <= c1 - 8; c += 8) Vector256.Store(Vector256.Load(dst + c) + Vector256.Load(src + c) * vs, dst + c);
            }
            for (; c < c1; c++) dst[c] += src[c] * scale;
        }
    }
}
