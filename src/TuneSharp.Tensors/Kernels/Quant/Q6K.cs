// GGUF Q6_K super-blocks ({u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d} per 256 values): dequantize and dot,
// after ggml-quants.c dequantize_row_q6_K. Scalar twin: GgmlQuantReference.DequantizeQ6K.
using TuneSharp.Tensors.Kernels.Reference.Quant;

namespace TuneSharp.Tensors.Kernels.Quant;

/// <summary>
/// Two halves of 128 values; in each, value l + 32·t (t = 0..3, l &lt; 32) has its low 4 bits in ql (low nibble of
/// ql[l] / ql[l+32] for t = 0/1, high nibble for t = 2/3) and 2 high bits at bit 2t of qh[l]; x = d·scale·(q − 32)
/// with one int8 scale per 16 values.
/// </summary>
public static class Q6K
{
    public const int BlockSize = 256;
    public const int BlockBytes = 210;

    public static long RowBytes(long n) => n % BlockSize == 0 ? n / BlockSize * BlockBytes
        : throw new ArgumentException($"Q6_K: {n} values is not a multiple of {BlockSize}");

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantGuard.Blocks(dst.Length, BlockSize, "Q6_K");
        QuantGuard.Bytes(src.Length, (long)nb * BlockBytes, "Q6_K", "source");
        Span<float> sc = stackalloc float[16];
        for (int i = 0; i < nb; i++)
        {
            var b = src.Slice(i * BlockBytes, BlockBytes);
            float d = QuantGuard.Half(b, 208);
            for (int j = 0; j < 16; j++) sc[j] = d * (sbyte)b[192 + j];
            for (int half = 0; half < 2; half++)
            {
                var ql = b.Slice(64 * half, 64);
                var qh = b.Slice(128 + 32 * half, 32);
                var s = sc.Slice(8 * half, 8);
                var y = dst.Slice(i * BlockSize + 128 * half, 128);
                for (int l = 0; l < 32; l++)
                {
                    int isc = l / 16, h = qh[l];
                    y[l] = s[isc] * ((ql[l] & 0xF | (h & 3) << 4) - 32);
                    y[l + 32] = s[isc + 2] * ((ql[l + 32] & 0xF | (h >> 2 & 3) << 4) - 32);
                    y[l + 64] = s[isc + 4] * ((ql[l] >> 4 | (h >> 4 & 3) << 4) - 32);
                    y[l + 96] = s[isc + 6] * ((ql[l + 32] >> 4 | (h >> 6 & 3) << 4) - 32);
                }
            }
        }
    }

    public static float Dot(ReadOnlySpan<byte> row, ReadOnlySpan<float> x)
    {
        int nb = QuantGuard.Blocks(x.Length, BlockSize, "Q6_K");
        QuantGuard.Bytes(row.Length, (long)nb * BlockBytes, "Q6_K", "row");
        Span<float> buf = stackalloc float[BlockSize];
        float total = 0;
        for (int i = 0; i < nb; i++)
        {
            Dequantize(row.Slice(i * BlockBytes, BlockBytes), buf);
            total += QuantDot.Dot(buf, x.Slice(i * BlockSize, BlockSize));
        }
        return total;
    }
}
