// SIMD row dots of ggml-quantized weights with per-block quantized activations, after ggml-cpu's x86 vec_dot kernels
// (ggml_vec_dot_q8_0_q8_0, _q4_0_q8_0, _q5_0_q8_0, _q4_K_q8_K, _q6_K_q8_K in arch/x86/quants.c): integer products of one block at
// a time through AVX-VNNI vpdpbusd (unsigned × signed bytes → int32) or AVX2 vpmaddubsw + vpmaddwd, block scales applied
// to a float vector accumulator. Unsigned levels (Q4: 0..15, Q5: 0..31, Q6: 0..63) multiply the signed activations directly and
// the offset is taken off with the activations' block sums; Q8_0 uses the |w| · sign(x, w) trick. .NET 10 exposes no
// 512-bit VNNI (Avx512Vnni), so the widest integer dot is 256-bit (on Zen 4 a 512-bit one is two 256-bit halves anyway).
// Scalar twin: Reference/Quant/QuantMatMulReference.Dot (same integer sums, float sums in another order).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TuneSharp.Tensors.IO.Gguf;
using TuneSharp.Tensors.Kernels.Reference.Quant;

namespace TuneSharp.Tensors.Kernels.Quant;

/// <summary>Instruction set of the quantized dot: the generic block-decode path, AVX2, or AVX2 with AVX-VNNI.</summary>
public enum GgmlDotIsa
{
    Generic,
    Avx2,
    AvxVnni,
}

internal static unsafe class GgmlVecDot
{
    /// <summary>ggml's fp16 → fp32 table (ggml_table_f32_f16): one load per block scale.</summary>
    private static readonly float[] F16 = BuildF16Table();

    public static GgmlDotIsa Best => Avx2.IsSupported && Fma.IsSupported ? AvxVnni.IsSupported ? GgmlDotIsa.AvxVnni : GgmlDotIsa.Avx2 : GgmlDotIsa.Generic;

    public static bool Supports(GgmlType t) => t is GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q4_K or GgmlType.Q6_K;

    private static float[] BuildF16Table()
    {
        var t = new float[65536];
        for (int i = 0; i < t.Length; i++) t[i] = (float)BitConverter.UInt16BitsToHalf((ushort)i);
        return t;
    }

    /// <summary>Activation rows one decoded weight block is multiplied with before the next block (prefill reuse).</summary>
    public const int RowTile = 4;

    /// <summary>
    /// Σ_k W[k]·x_r[k] for one weight row of <paramref name="type"/> (<paramref name="cols"/> values) and
    /// <paramref name="rows"/> (≤ <see cref="RowTile"/>) activation rows r: int8 levels at q + r·cols, block scales at
    /// d + r·cols/bs (bs = 32 for Q8_0/Q4_0/Q5_0, 256 for k-quants), Σ of each 16 levels at bsum16 + r·cols/16.
    /// Writes y[r·yStride].
    /// </summary>
    // Hot loops: compiled fully optimized at once (tier-0 SIMD code is many times slower and a busy machine delays tier-up).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot(GgmlType type, GgmlDotIsa isa, byte* row, sbyte* q, float* d, int* bsum16, int cols, int rows, float* y, int yStride)
    {
        bool vnni = isa == GgmlDotIsa.AvxVnni;
        if (rows == 1)
        {
            *y = type switch
            {
                GgmlType.Q8_0 => DotQ8_0Row(vnni, row, q, d, cols / 32),
                GgmlType.Q4_0 => DotQ4_0Row(vnni, row, q, d, bsum16, cols / 32),
                GgmlType.Q5_0 => DotQ5_0Row(vnni, row, q, d, bsum16, cols / 32),
                GgmlType.Q4_K => DotQ4KRow(vnni, row, q, d, bsum16, cols / 256),
                GgmlType.Q6_K => DotQ6KRow(vnni, row, q, d, bsum16, cols / 256),
                _ => throw new NotSupportedException($"no SIMD dot for {type}"),
            };
            return;
        }
        var acc = stackalloc Vector256<float>[RowTile];
        var off = stackalloc float[RowTile];
        for (int r = 0; r < rows; r++) { acc[r] = Vector256<float>.Zero; off[r] = 0; }
        var t = new Tile(q, d, bsum16, cols, rows);
        switch (type)
        {
            case GgmlType.Q8_0: DotQ8_0(vnni, row, t, acc); break;
            case GgmlType.Q4_0: DotQ4_0(vnni, row, t, acc, off); break;
            case GgmlType.Q5_0: DotQ5_0(vnni, row, t, acc, off); break;
            case GgmlType.Q4_K: DotQ4K(vnni, row, t, acc, off); break;
            case GgmlType.Q6_K: DotQ6K(vnni, row, t, acc, off); break;
            default: throw new NotSupportedException($"no SIMD dot for {type}");
        }
        for (int r = 0; r < rows; r++) y[(long)r * yStride] = Vector256.Sum(acc[r]) - off[r];
    }

    /// <summary>Where activation row r's levels, scales and 16-sums start.</summary>
    private readonly struct Tile(sbyte* q, float* d, int* bsum16, int cols, int rows)
    {
        private readonly sbyte* _q = q;
        private readonly float* _d = d;
        private readonly int* _s = bsum16;

        public int Rows { get; } = rows;

        public int Cols { get; } = cols;

        public sbyte* Q(int r) => _q + (long)r * Cols;

        public float* D(int r, int blockSize) => _d + (long)r * (Cols / blockSize);

        public int* S(int r) => _s + (long)r * (Cols / 16);
    }

    /// <summary>Σ over each 4 adjacent byte products u·s into int32 lanes (vpdpbusd, or vpmaddubsw + vpmaddwd: no overflow for u ≤ 128 here).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> DotU8S8(bool vnni, Vector256<byte> u, Vector256<sbyte> s)
    {
        if (vnni) return AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, u, s);
        return Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, s), Vector256.Create((short)1));
    }

    // One activation row (decode): accumulators stay in registers.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotQ8_0Row(bool vnni, byte* w, sbyte* q, float* d, int nb)
    {
        var acc = Vector256<float>.Zero;
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * 34;
            var qw = Avx.LoadVector256((sbyte*)(blk + 2));
            var qx = Avx.LoadVector256(q + b * 32);
            // |w| · (x with w's sign): unsigned × signed, the same products.
            var dot = DotU8S8(vnni, Avx2.Abs(qw), Avx2.Sign(qx, qw));
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(F16[*(ushort*)blk] * d[b]), acc);
        }
        return Vector256.Sum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotQ4_0Row(bool vnni, byte* w, sbyte* q, float* d, int* bsum16, int nb)
    {
        var acc = Vector256<float>.Zero;
        var low = Vector256.Create((byte)0x0F);
        float offset = 0;
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * 18;
            var raw = Sse2.LoadVector128(blk + 2);
            // Values 0..15 are the low nibbles, 16..31 the high ones; level = nibble − 8.
            var nib = Vector256.Create(raw, Sse2.ShiftRightLogical(raw.AsUInt16(), 4).AsByte()) & low;
            var dot = DotU8S8(vnni, nib, Avx.LoadVector256(q + b * 32));
            float s = F16[*(ushort*)blk] * d[b];
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(s), acc);
            offset += s * (bsum16[2 * b] + bsum16[2 * b + 1]);
        }
        return Vector256.Sum(acc) - 8 * offset;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotQ5_0Row(bool vnni, byte* w, sbyte* q, float* d, int* bsum16, int nb)
    {
        var acc = Vector256<float>.Zero;
        var low = Vector256.Create((byte)0x0F);
        var five = Vector256.Create((byte)0x10);
        // ggml's bytes_from_bits_32: byte j takes byte j/8 of qh, then tests bit j % 8.
        var spread = Vector256.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
        var bit = Vector256.Create((byte)1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
        float offset = 0;
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * 22;
            var qh = Avx2.Shuffle(Vector256.Create(*(uint*)(blk + 2)).AsByte(), spread) & bit;
            var hi = Avx2.CompareEqual(qh, bit) & five;
            var raw = Sse2.LoadVector128(blk + 6);
            var u = (Vector256.Create(raw, Sse2.ShiftRightLogical(raw.AsUInt16(), 4).AsByte()) & low) | hi;
            var dot = DotU8S8(vnni, u, Avx.LoadVector256(q + b * 32));
            float s = F16[*(ushort*)blk] * d[b];
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(s), acc);
            offset += s * (bsum16[2 * b] + bsum16[2 * b + 1]);
        }
        return Vector256.Sum(acc) - 16 * offset;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotQ4KRow(bool vnni, byte* w, sbyte* q, float* d, int* bsum16, int nb)
    {
        var acc = Vector256<float>.Zero;
        var low = Vector256.Create((byte)0x0F);
        float mins = 0;
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * 144;
            var sc = new ReadOnlySpan<byte>(blk + 4, 12);
            sbyte* qb = q + b * 256;
            int* bs = bsum16 + b * 16;
            var sumi = Vector256<int>.Zero;
            int summ = 0;
            for (int g = 0; g < 4; g++)
            {
                var raw = Avx.LoadVector256(blk + 16 + 32 * g);
                GgmlQuantReference.ScaleMinK4(2 * g, sc, out int s0, out int m0);
                GgmlQuantReference.ScaleMinK4(2 * g + 1, sc, out int s1, out int m1);
                var lo = DotU8S8(vnni, raw & low, Avx.LoadVector256(qb + 64 * g));
                var hi = DotU8S8(vnni, Avx2.ShiftRightLogical(raw.AsUInt16(), 4).AsByte() & low, Avx.LoadVector256(qb + 64 * g + 32));
                sumi += Avx2.MultiplyLow(lo, Vector256.Create(s0)) + Avx2.MultiplyLow(hi, Vector256.Create(s1));
                summ += m0 * (bs[4 * g] + bs[4 * g + 1]) + m1 * (bs[4 * g + 2] + bs[4 * g + 3]);
            }
            float dy = d[b];
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi), Vector256.Create(F16[*(ushort*)blk] * dy), acc);
            mins += F16[*(ushort*)(blk + 2)] * dy * summ;
        }
        return Vector256.Sum(acc) - mins;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotQ6KRow(bool vnni, byte* w, sbyte* q, float* d, int* bsum16, int nb)
    {
        var acc = Vector256<float>.Zero;
        var m4 = Vector256.Create((byte)0x0F);
        var m2 = Vector256.Create((byte)0x03);
        float offset = 0;
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * 210;
            sbyte* sc = (sbyte*)(blk + 192);
            sbyte* qb = q + b * 256;
            int* bs = bsum16 + b * 16;
            var sumi = Vector256<int>.Zero;
            int corr = 0;
            for (int half = 0; half < 2; half++)
            {
                var ql0 = Avx.LoadVector256(blk + 64 * half);
                var ql1 = Avx.LoadVector256(blk + 64 * half + 32);
                var qh = Avx.LoadVector256(blk + 128 + 32 * half).AsUInt16();
                // Unsigned levels 0..63 (= level + 32) of values 128·half + {0, 32, 64, 96} + l.
                var u0 = (ql0 & m4) | Avx2.ShiftLeftLogical((qh.AsByte() & m2).AsUInt16(), 4).AsByte();
                var u1 = (ql1 & m4) | Avx2.ShiftLeftLogical((Avx2.ShiftRightLogical(qh, 2).AsByte() & m2).AsUInt16(), 4).AsByte();
                var u2 = (Avx2.ShiftRightLogical(ql0.AsUInt16(), 4).AsByte() & m4) | Avx2.ShiftLeftLogical((Avx2.ShiftRightLogical(qh, 4).AsByte() & m2).AsUInt16(), 4).AsByte();
                var u3 = (Avx2.ShiftRightLogical(ql1.AsUInt16(), 4).AsByte() & m4) | Avx2.ShiftLeftLogical((Avx2.ShiftRightLogical(qh, 6).AsByte() & m2).AsUInt16(), 4).AsByte();
                int s = 8 * half; // first 16-value sub-block of this half
                sumi += Avx2.MultiplyLow(DotU8S8(vnni, u0, Avx.LoadVector256(qb + 128 * half)), Pair(sc[s], sc[s + 1]));
                sumi += Avx2.MultiplyLow(DotU8S8(vnni, u1, Avx.LoadVector256(qb + 128 * half + 32)), Pair(sc[s + 2], sc[s + 3]));
                sumi += Avx2.MultiplyLow(DotU8S8(vnni, u2, Avx.LoadVector256(qb + 128 * half + 64)), Pair(sc[s + 4], sc[s + 5]));
                sumi += Avx2.MultiplyLow(DotU8S8(vnni, u3, Avx.LoadVector256(qb + 128 * half + 96)), Pair(sc[s + 6], sc[s + 7]));
            }
            for (int j = 0; j < 16; j++) corr += sc[j] * bs[j];
            float scale = F16[*(ushort*)(blk + 208)] * d[b];
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi), Vector256.Create(scale), acc);
            offset += scale * corr;
        }
        return Vector256.Sum(acc) - 32 * offset;
    }

    // A tile of activation rows (prefill): each weight block decoded once for all of them.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotQ8_0(bool vnni, byte* w, Tile t, Vector256<float>* acc)
    {
        int nb = t.Cols / 32;
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * 34;
            var qw = Avx.LoadVector256((sbyte*)(blk + 2));
            var ax = Avx2.Abs(qw);
            float dw = F16[*(ushort*)blk];
            for (int r = 0; r < t.Rows; r++)
            {
                // |w| · (x with w's sign): unsigned × signed, the same products.
                var dot = DotU8S8(vnni, ax, Avx2.Sign(Avx.LoadVector256(t.Q(r) + b * 32), qw));
                acc[r] = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(dw * t.D(r, 32)[b]), acc[r]);
            }
        }
    }

    /// <summary>Q4_0 / Q5_0: unsigned levels u (level = u − offset) times x, offset·Σx taken off per block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotUnsigned32(bool vnni, Vector256<byte> u, float dw, int b, Tile t, Vector256<float>* acc, float* off)
    {
        for (int r = 0; r < t.Rows; r++)
        {
            var dot = DotU8S8(vnni, u, Avx.LoadVector256(t.Q(r) + b * 32));
            float s = dw * t.D(r, 32)[b];
            acc[r] = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(s), acc[r]);
            int* bs = t.S(r);
            off[r] += s * (bs[2 * b] + bs[2 * b + 1]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotQ4_0(bool vnni, byte* w, Tile t, Vector256<float>* acc, float* off)
    {
        var low = Vector256.Create((byte)0x0F);
        int nb = t.Cols / 32;
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * 18;
            var raw = Sse2.LoadVector128(blk + 2);
            // Values 0..15 are the low nibbles, 16..31 the high ones; level = nibble − 8.
            var nib = Vector256.Create(raw, Sse2.ShiftRightLogical(raw.AsUInt16(), 4).AsByte()) & low;
            DotUnsigned32(vnni, nib, F16[*(ushort*)blk], b, t, acc, off);
        }
        for (int r = 0; r < t.Rows; r++) off[r] *= 8;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotQ5_0(bool vnni, byte* w, Tile t, Vector256<float>* acc, float* off)
    {
        var low = Vector256.Create((byte)0x0F);
        var five = Vector256.Create((byte)0x10);
        // ggml's bytes_from_bits_32: byte j takes byte j/8 of qh, then tests bit j % 8.
        var spread = Vector256.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
        var bit = Vector256.Create((byte)1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
        int nb = t.Cols / 32;
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * 22;
            var qh = Avx2.Shuffle(Vector256.Create(*(uint*)(blk + 2)).AsByte(), spread) & bit;
            var hi = Avx2.CompareEqual(qh, bit) & five;
            var raw = Sse2.LoadVector128(blk + 6);
            var u = (Vector256.Create(raw, Sse2.ShiftRightLogical(raw.AsUInt16(), 4).AsByte()) & low) | hi;
            DotUnsigned32(vnni, u, F16[*(ushort*)blk], b, t, acc, off);
        }
        for (int r = 0; r < t.Rows; r++) off[r] *= 16;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotQ4K(bool vnni, byte* w, Tile t, Vector256<float>* acc, float* off)
    {
        var low = Vector256.Create((byte)0x0F);
        int nb = t.Cols / 256;
        var sumi = stackalloc Vector256<int>[RowTile];
        var summ = stackalloc int[RowTile];
        Span<int> sc = stackalloc int[8];
        Span<int> mn = stackalloc int[8];
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * 144;
            var scales = new ReadOnlySpan<byte>(blk + 4, 12);
            for (int j = 0; j < 8; j++) GgmlQuantReference.ScaleMinK4(j, scales, out sc[j], out mn[j]);
            for (int r = 0; r < t.Rows; r++) { sumi[r] = Vector256<int>.Zero; summ[r] = 0; }
            for (int g = 0; g < 4; g++)
            {
                var raw = Avx.LoadVector256(blk + 16 + 32 * g);
                var lo4 = raw & low;
                var hi4 = Avx2.ShiftRightLogical(raw.AsUInt16(), 4).AsByte() & low;
                var s0 = Vector256.Create(sc[2 * g]);
                var s1 = Vector256.Create(sc[2 * g + 1]);
                for (int r = 0; r < t.Rows; r++)
                {
                    sbyte* qb = t.Q(r) + b * 256 + 64 * g;
                    var lo = DotU8S8(vnni, lo4, Avx.LoadVector256(qb));
                    var hi = DotU8S8(vnni, hi4, Avx.LoadVector256(qb + 32));
                    sumi[r] += Avx2.MultiplyLow(lo, s0) + Avx2.MultiplyLow(hi, s1);
                    int* bs = t.S(r) + b * 16 + 4 * g;
                    summ[r] += mn[2 * g] * (bs[0] + bs[1]) + mn[2 * g + 1] * (bs[2] + bs[3]);
                }
            }
            float dw = F16[*(ushort*)blk], dmin = F16[*(ushort*)(blk + 2)];
            for (int r = 0; r < t.Rows; r++)
            {
                float dy = t.D(r, 256)[b];
                acc[r] = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi[r]), Vector256.Create(dw * dy), acc[r]);
                off[r] += dmin * dy * summ[r];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotQ6K(bool vnni, byte* w, Tile t, Vector256<float>* acc, float* off)
    {
        var m4 = Vector256.Create((byte)0x0F);
        var m2 = Vector256.Create((byte)0x03);
        int nb = t.Cols / 256;
        var sumi = stackalloc Vector256<int>[RowTile];
        var u = stackalloc Vector256<byte>[4];
        var sv = stackalloc Vector256<int>[4];
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * 210;
            sbyte* sc = (sbyte*)(blk + 192);
            float dw = F16[*(ushort*)(blk + 208)];
            for (int r = 0; r < t.Rows; r++) sumi[r] = Vector256<int>.Zero;
            for (int half = 0; half < 2; half++)
            {
                var ql0 = Avx.LoadVector256(blk + 64 * half);
                var ql1 = Avx.LoadVector256(blk + 64 * half + 32);
                var qh = Avx.LoadVector256(blk + 128 + 32 * half).AsUInt16();
                // Unsigned levels 0..63 (= level + 32) of values 128·half + {0, 32, 64, 96} + l.
                u[0] = (ql0 & m4) | Avx2.ShiftLeftLogical((qh.AsByte() & m2).AsUInt16(), 4).AsByte();
                u[1] = (ql1 & m4) | Avx2.ShiftLeftLogical((Avx2.ShiftRightLogical(qh, 2).AsByte() & m2).AsUInt16(), 4).AsByte();
                u[2] = (Avx2.ShiftRightLogical(ql0.AsUInt16(), 4).AsByte() & m4) | Avx2.ShiftLeftLogical((Avx2.ShiftRightLogical(qh, 4).AsByte() & m2).AsUInt16(), 4).AsByte();
                u[3] = (Avx2.ShiftRightLogical(ql1.AsUInt16(), 4).AsByte() & m4) | Avx2.ShiftLeftLogical((Avx2.ShiftRightLogical(qh, 6).AsByte() & m2).AsUInt16(), 4).AsByte();
                int s = 8 * half; // first 16-value sub-block of this half
                for (int k = 0; k < 4; k++) sv[k] = Pair(sc[s + 2 * k], sc[s + 2 * k + 1]);
                for (int r = 0; r < t.Rows; r++)
                {
                    sbyte* qb = t.Q(r) + b * 256 + 128 * half;
                    var acc32 = Vector256<int>.Zero;
                    for (int k = 0; k < 4; k++) acc32 += Avx2.MultiplyLow(DotU8S8(vnni, u[k], Avx.LoadVector256(qb + 32 * k)), sv[k]);
                    sumi[r] += acc32;
                }
            }
            for (int r = 0; r < t.Rows; r++)
            {
                int* bs = t.S(r) + b * 16;
                int corr = 0;
                for (int j = 0; j < 16; j++) corr += sc[j] * bs[j];
                float scale = dw * t.D(r, 256)[b];
                acc[r] = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi[r]), Vector256.Create(scale), acc[r]);
                off[r] += 32 * scale * corr;
            }
        }
    }

    /// <summary>Lanes 0–3 (the first 16 bytes' sums) get scale a, lanes 4–7 scale b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Pair(sbyte a, sbyte b) => Vector256.Create(Vector128.Create((int)a), Vector128.Create((int)b));
}
