// ggml's Q5_0 and Q5_1 block formats (quantize_row_q5_0_ref / q5_1_ref, dequantize_row_q5_0 / q5_1 in ggml-quants.c):
// llama-quantize's fallback for Q4_K / Q5_K tensors whose rows are not a multiple of 256.
namespace TuneSharp.Tensors.Kernels.Reference.Quant;

/// <summary>
/// Q5_0 = {f16 d; u8 qh[4]; u8 qs[16]} (22 B / 32 values), x = d·(q − 16).
/// Q5_1 = {f16 d; f16 m; u8 qh[4]; u8 qs[16]} (24 B / 32), x = d·q + m.
/// Low nibble of qs[j] is element j, high nibble element j+16; bit j of qh is bit 4 of element j.
/// </summary>
public static class Q5Reference
{
    public const int Block = 32, Q5_0Bytes = 22, Q5_1Bytes = 24;

    public static void QuantizeQ5_0(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int nb = QuantGuard.Blocks(src.Length, Block, "Q5_0");
        QuantGuard.Bytes(dst.Length, (long)nb * Q5_0Bytes, "Q5_0", "destination");
        for (int i = 0; i < nb; i++)
        {
            var x = src.Slice(i * Block, Block);
            var y = dst.Slice(i * Q5_0Bytes, Q5_0Bytes);
            float amax = 0, max = 0;
            for (int j = 0; j < Block; j++)
            {
                float v = x[j];
                if (amax < MathF.Abs(v)) { amax = MathF.Abs(v); max = v; }
            }
            float d = max / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            QuantGuard.WriteHalf(y, 0, d);
            uint qh = 0;
            for (int j = 0; j < Block / 2; j++)
            {
                float x0 = x[j] * id, x1 = x[Block / 2 + j] * id;
                int q0 = Math.Min(31, (int)(sbyte)(x0 + 16.5f));
                int q1 = Math.Min(31, (int)(sbyte)(x1 + 16.5f));
                y[6 + j] = (byte)((q0 & 0x0F) | ((q1 & 0x0F) << 4));
                qh |= (uint)((q0 & 0x10) >> 4) << j;
                qh |= (uint)((q1 & 0x10) >> 4) << (j + Block / 2);
            }
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(y[2..], qh);
        }
    }

    public static void QuantizeQ5_1(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int nb = QuantGuard.Blocks(src.Length, Block, "Q5_1");
        QuantGuard.Bytes(dst.Length, (long)nb * Q5_1Bytes, "Q5_1", "destination");
        for (int i = 0; i < nb; i++)
        {
            var x = src.Slice(i * Block, Block);
            var y = dst.Slice(i * Q5_1Bytes, Q5_1Bytes);
            float min = float.MaxValue, max = -float.MaxValue;
            for (int j = 0; j < Block; j++)
            {
                if (x[j] < min) min = x[j];
                if (x[j] > max) max = x[j];
            }
            float d = (max - min) / ((1 << 5) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            QuantGuard.WriteHalf(y, 0, d);
            QuantGuard.WriteHalf(y, 2, min);
            uint qh = 0;
            for (int j = 0; j < Block / 2; j++)
            {
                float x0 = (x[j] - min) * id, x1 = (x[Block / 2 + j] - min) * id;
                int q0 = (byte)(x0 + 0.5f), q1 = (byte)(x1 + 0.5f);
                y[8 + j] = (byte)((q0 & 0x0F) | ((q1 & 0x0F) << 4));
                qh |= (uint)((q0 & 0x10) >> 4) << j;
                qh |= (uint)((q1 & 0x10) >> 4) << (j + Block / 2);
            }
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(y[4..], qh);
        }
    }

    public static void DequantizeQ5_0(ReadOnlySpan<byte> src, Span<float> dst) => Dequantize(src, dst, withMin: false);

    public static void DequantizeQ5_1(ReadOnlySpan<byte> src, Span<float> dst) => Dequantize(src, dst, withMin: true);

    private static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst, bool withMin)
    {
        int bytes = withMin ? Q5_1Bytes : Q5_0Bytes;
        string format = withMin ? "Q5_1" : "Q5_0";
        int nb = QuantGuard.Blocks(dst.Length, Block, format);
        QuantGuard.Bytes(src.Length, (long)nb * bytes, format, "source");
        for (int i = 0; i < nb; i++)
        {
            var b = src.Slice(i * bytes, bytes);
            float d = QuantGuard.Half(b, 0);
            float m = withMin ? QuantGuard.Half(b, 2) : 0;
            int o = withMin ? 4 : 2;
            uint qh = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(b[o..]);
            var qs = b.Slice(o + 4, 16);
            for (int j = 0; j < Block / 2; j++)
            {
                int h0 = (int)((qh >> j) << 4) & 0x10;
                int h1 = (int)(qh >> (j + 12)) & 0x10;
                int x0 = (qs[j] & 0x0F) | h0, x1 = (qs[j] >> 4) | h1;
                if (withMin)
                {
                    dst[i * Block + j] = x0 * d + m;
                    dst[i * Block + j + Block / 2] = x1 * d + m;
                }
                else
                {
                    dst[i * Block + j] = (x0 - 16) * d;
                    dst[i * Block + j + Block / 2] = (x1 - 16) * d;
                }
            }
        }
    }
}
