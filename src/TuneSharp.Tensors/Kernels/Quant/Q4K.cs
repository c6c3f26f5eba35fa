// GGUF Q4_K super-blocks ({f16 d; f16 dmin; u8 scales[12]; u8 qs[128]} per 256 values): dequantize and dot,
// after ggml-quants.c dequantize_row_q4_K and get_scale_min_k4. Scalar twin: GgmlQuantReference.DequantizeQ4K.
using TuneSharp.Tensors.Kernels.Reference.Quant;

namespace TuneSharp.Tensors.Kernels.Quant;

/// <summary>
/// 8 sub-blocks of 32 values, each with a 6-bit scale sc and 6-bit min m: x = d·sc·q − dmin·m, q a 4-bit value.
/// Bytes qs[32k .. 32k+31] hold sub-block 2k in their low nibbles and sub-block 2k+1 in their high nibbles.
/// </summary>
public static class Q4K
{
    public const int BlockSize = 256;
    public const int BlockBytes = 144;

    public static long RowBytes(long n) => n % BlockSize == 0 ? n / BlockSize * BlockBytes
        : throw new ArgumentException($"Q4_K: {n} values is not a multiple of {BlockSize}");

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantGuard.Blocks(dst.Length, BlockSize, "Q4_K");
        QuantGuard.Bytes(src.Length, (long)nb * BlockBytes, "Q4_K", "source");
        Span<float> scale = stackalloc float[8], min = stackalloc float[8];
        for (int i = 0; i < nb; i++)
        {
            var b = src.Slice(i * BlockBytes, BlockBytes);
            Scales(b, scale, min);
            var qs = b.Slice(16, 128);
            var y = dst.Slice(i * BlockSize, BlockSize);
            for (int k = 0; k < 4; k++)
            {
                float d1 = scale[2 * k], m1 = min[2 * k], d2 = scale[2 * k + 1], m2 = min[2 * k + 1];
                var q = qs.Slice(32 * k, 32);
                var y1 = y.Slice(64 * k, 32);
                var y2 = y.Slice(64 * k + 32, 32);
                for (int l = 0; l < 32; l++)
                {
                    y1[l] = d1 * (q[l] & 0xF) - m1;
                    y2[l] = d2 * (q[l] >> 4) - m2;
                }
            }
        }
    }

    public static float Dot(ReadOnlySpan<byte> row, ReadOnlySpan<float> x)
    {
        int nb = QuantGuard.Blocks(x.Length, BlockSize, "Q4_K");
        QuantGuard.Bytes(row.Length, (long)nb * BlockBytes, "Q4_K", "row");
        Span<float> buf = stackalloc float[BlockSize];
        float total = 0;
        for (int i = 0; i < nb; i++)
        {
            Dequantize(row.Slice(i * BlockBytes, BlockBytes), buf);
            total += QuantDot.Dot(buf, x.Slice(i * BlockSize, BlockSize));
        }
        return total;
    }

    /// <summary>Effective per-sub-block multipliers d·sc and offsets dmin·m (8 each) of one super-block.</summary>
    private static void Scales(ReadOnlySpan<byte> block, Span<float> scale, Span<float> min)
    {
        float d = QuantGuard.Half(block, 0), dmin = QuantGuard.Half(block, 2);
        var s = block.Slice(4, 12);
        for (int j = 0; j < 8; j++)
        {
            GgmlQuantReference.ScaleMinK4(j, s, out int sc, out int m);
            scale[j] = d * sc;
            min[j] = dmin * m;
        }
    }
}
