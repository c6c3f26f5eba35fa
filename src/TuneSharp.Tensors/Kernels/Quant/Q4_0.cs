// GGUF Q4_0 blocks ({f16 d; u8 qs[16]}, x = d·(q − 8), low nibbles = elements 0..15, high = 16..31):
// dequantize/dot and ggml's reference quantizer (ggml-quants.c quantize_row_q4_0_ref). Twin: GgmlQuantReference.
using TuneSharp.Tensors.Kernels.Reference.Quant;

namespace TuneSharp.Tensors.Kernels.Quant;

/// <summary>Row-level Q4_0 kernels. Rows must hold a whole number of 32-value blocks.</summary>
public static class Q4_0
{
    public const int BlockSize = 32;
    public const int BlockBytes = 18;

    public static long RowBytes(long n) => n % BlockSize == 0 ? n / BlockSize * BlockBytes
        : throw new ArgumentException($"Q4_0: {n} values is not a multiple of {BlockSize}");

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantGuard.Blocks(dst.Length, BlockSize, "Q4_0");
        QuantGuard.Bytes(src.Length, (long)nb * BlockBytes, "Q4_0", "source");
        for (int i = 0; i < nb; i++)
        {
            var b = src.Slice(i * BlockBytes, BlockBytes);
            float d = QuantGuard.Half(b, 0);
            var lo = dst.Slice(i * BlockSize, 16);
            var hi = dst.Slice(i * BlockSize + 16, 16);
            var qs = b.Slice(2, 16);
            for (int j = 0; j < 16; j++)
            {
                lo[j] = ((qs[j] & 0x0F) - 8) * d;
                hi[j] = ((qs[j] >> 4) - 8) * d;
            }
        }
    }

    /// <summary>Bit-identical to ggml's reference quantizer (the value of largest magnitude maps to code 0 = −8·d).</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst) => GgmlQuantReference.QuantizeQ4_0(src, dst);

    public static float Dot(ReadOnlySpan<byte> row, ReadOnlySpan<float> x)
    {
        int nb = QuantGuard.Blocks(x.Length, BlockSize, "Q4_0");
        QuantGuard.Bytes(row.Length, (long)nb * BlockBytes, "Q4_0", "row");
        float total = 0;
        for (int i = 0; i < nb; i++)
        {
            var qs = row.Slice(i * BlockBytes + 2, 16);
            var xb = x.Slice(i * BlockSize, BlockSize);
            float s = 0;
            for (int j = 0; j < 16; j++) s += ((qs[j] & 0x0F) - 8) * xb[j] + ((qs[j] >> 4) - 8) * xb[j + 16];
            total += QuantGuard.Half(row, i * BlockBytes) * s;
        }
        return total;
    }
}
