// GGUF Q8_0 blocks ({f16 d; i8 qs[32]}, x = d·q): SIMD dequantize/dot and ggml's round-to-nearest quantizer
// (ggml-quants.c quantize_row_q8_0_ref / dequantize_row_q8_0). Scalar twin: Reference/Quant/GgmlQuantReference.
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TuneSharp.Tensors.Kernels.Reference.Quant;

namespace TuneSharp.Tensors.Kernels.Quant;

/// <summary>Row-level Q8_0 kernels. Rows must hold a whole number of 32-value blocks.</summary>
public static class Q8_0
{
    public const int BlockSize = 32;
    public const int BlockBytes = 34;

    /// <summary>Bytes of a row of <paramref name="n"/> values.</summary>
    public static long RowBytes(long n) => n % BlockSize == 0 ? n / BlockSize * BlockBytes
        : throw new ArgumentException($"Q8_0: {n} values is not a multiple of {BlockSize}");

    /// <summary>dst (n) ← dequantize(src (n/32 blocks)).</summary>
    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        if (!Vector256.IsHardwareAccelerated) { GgmlQuantReference.DequantizeQ8_0(src, dst); return; }
        int nb = QuantGuard.Blocks(dst.Length, BlockSize, "Q8_0");
        QuantGuard.Bytes(src.Length, (long)nb * BlockBytes, "Q8_0", "source");
        for (int i = 0; i < nb; i++)
        {
            var b = src.Slice(i * BlockBytes, BlockBytes);
            var d = Vector256.Create(QuantGuard.Half(b, 0));
            var q = Vector256.Create<sbyte>(MemoryMarshal.Cast<byte, sbyte>(b.Slice(2, 32)));
            var (q0, q1) = Vector256.Widen(q);
            var (i0, i1) = Vector256.Widen(q0);
            var (i2, i3) = Vector256.Widen(q1);
            var y = dst.Slice(i * BlockSize, BlockSize);
            (Vector256.ConvertToSingle(i0) * d).CopyTo(y);
            (Vector256.ConvertToSingle(i1) * d).CopyTo(y[8..]);
            (Vector256.ConvertToSingle(i2) * d).CopyTo(y[16..]);
            (Vector256.ConvertToSingle(i3) * d).CopyTo(y[24..]);
        }
    }

    /// <summary>dst (n/32 blocks) ← quantize(src (n)), bit-identical to ggml's reference quantizer.</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst) => GgmlQuantReference.QuantizeQ8_0(src, dst);

    /// <summary>Σ dequantize(row)ᵢ·xᵢ without materialising the row (one block scale per 32 products).</summary>
    public static float Dot(ReadOnlySpan<byte> row, ReadOnlySpan<float> x)
    {
        int nb = QuantGuard.Blocks(x.Length, BlockSize, "Q8_0");
        QuantGuard.Bytes(row.Length, (long)nb * BlockBytes, "Q8_0", "row");
        float total = 0;
        for (int i = 0; i < nb; i++)
        {
            var b = row.Slice(i * BlockBytes, BlockBytes);
            var xb = x.Slice(i * BlockSize, BlockSize);
            float s;
            if (Vector256.IsHardwareAccelerated)
            {
                var q = Vector256.Create<sbyte>(MemoryMarshal.Cast<byte, sbyte>(b.Slice(2, 32)));
                var (q0, q1) = Vector256.Widen(q);
                var (i0, i1) = Vector256.Widen(q0);
                var (i2, i3) = Vector256.Widen(q1);
                var acc = Vector256.ConvertToSingle(i0) * Vector256.Create(xb);
                acc += Vector256.ConvertToSingle(i1) * Vector256.Create(xb[8..]);
                acc += Vector256.ConvertToSingle(i2) * Vector256.Create(xb[16..]);
                acc += Vector256.ConvertToSingle(i3) * Vector256.Create(xb[24..]);
                s = Vector256.Sum(acc);
            }
            else
            {
                s = 0;
                for (int j = 0; j < BlockSize; j++) s += (sbyte)b[2 + j] * xb[j];
            }
            total += QuantGuard.Half(b, 0) * s;
        }
        return total;
    }
}
