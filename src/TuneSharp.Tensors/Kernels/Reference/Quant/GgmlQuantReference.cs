// Scalar twins of the GGUF block formats, written line by line after ggml-quants.c
// (quantize_row_q8_0_ref, quantize_row_q4_0_ref, dequantize_row_q8_0/q4_0/q4_K/q6_K, get_scale_min_k4).
namespace TuneSharp.Tensors.Kernels.Reference.Quant;

/// <summary>
/// Block layouts (little-endian, packed):
/// Q8_0 = {f16 d; i8 qs[32]} (34 B / 32 values), x = d·q.
/// Q4_0 = {f16 d; u8 qs[16]} (18 B / 32), x = d·(q − 8); low nibble of qs[j] is element j, high nibble element j+16.
/// Q4_K = {f16 d; f16 dmin; u8 scales[12]; u8 qs[128]} (144 B / 256): 8 sub-blocks of 32 with 6-bit scale and min.
/// Q6_K = {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d} (210 B / 256): 6-bit quants, 16 sub-blocks of 16.
/// </summary>
public static class GgmlQuantReference
{
    public const int Q8_0Block = 32, Q8_0Bytes = 34;
    public const int Q4_0Block = 32, Q4_0Bytes = 18;
    public const int QkK = 256, Q4KBytes = 144, Q6KBytes = 210;

    public static void DequantizeQ8_0(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantGuard.Blocks(dst.Length, Q8_0Block, "Q8_0");
        QuantGuard.Bytes(src.Length, (long)nb * Q8_0Bytes, "Q8_0", "source");
        for (int i = 0; i < nb; i++)
        {
            var b = src.Slice(i * Q8_0Bytes, Q8_0Bytes);
            float d = QuantGuard.Half(b, 0);
            for (int j = 0; j < Q8_0Block; j++) dst[i * Q8_0Block + j] = (sbyte)b[2 + j] * d;
        }
    }

    /// <summary>quantize_row_q8_0_ref: d = amax/127 (stored as f16), q = roundf(x / d) with the f32 inverse.</summary>
    public static void QuantizeQ8_0(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int nb = QuantGuard.Blocks(src.Length, Q8_0Block, "Q8_0");
        QuantGuard.Bytes(dst.Length, (long)nb * Q8_0Bytes, "Q8_0", "destination");
        for (int i = 0; i < nb; i++)
        {
            var x = src.Slice(i * Q8_0Block, Q8_0Block);
            var b = dst.Slice(i * Q8_0Bytes, Q8_0Bytes);
            float amax = 0;
            for (int j = 0; j < Q8_0Block; j++) amax = MathF.Max(amax, MathF.Abs(x[j]));
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            QuantGuard.WriteHalf(b, 0, d);
            for (int j = 0; j < Q8_0Block; j++) b[2 + j] = (byte)(sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
        }
    }

    public static void DequantizeQ4_0(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantGuard.Blocks(dst.Length, Q4_0Block, "Q4_0");
        QuantGuard.Bytes(src.Length, (long)nb * Q4_0Bytes, "Q4_0", "source");
        for (int i = 0; i < nb; i++)
        {
            var b = src.Slice(i * Q4_0Bytes, Q4_0Bytes);
            float d = QuantGuard.Half(b, 0);
            for (int j = 0; j < Q4_0Block / 2; j++)
            {
                int x0 = (b[2 + j] & 0x0F) - 8;
                int x1 = (b[2 + j] >> 4) - 8;
                dst[i * Q4_0Block + j] = x0 * d;
                dst[i * Q4_0Block + j + Q4_0Block / 2] = x1 * d;
            }
        }
    }

    /// <summary>
    /// quantize_row_q4_0_ref: the signed value of largest magnitude maps to −8, d = max / −8 (f16),
    /// q = min(15, trunc(x/d + 8.5)).
    /// </summary>
    public static void QuantizeQ4_0(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int nb = QuantGuard.Blocks(src.Length, Q4_0Block, "Q4_0");
        QuantGuard.Bytes(dst.Length, (long)nb * Q4_0Bytes, "Q4_0", "destination");
        for (int i = 0; i < nb; i++)
        {
            var x = src.Slice(i * Q4_0Block, Q4_0Block);
            var b = dst.Slice(i * Q4_0Bytes, Q4_0Bytes);
            float amax = 0, max = 0;
            for (int j = 0; j < Q4_0Block; j++)
            {
                float v = x[j];
                if (amax < MathF.Abs(v)) { amax = MathF.Abs(v); max = v; }
            }
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            QuantGuard.WriteHalf(b, 0, d);
            for (int j = 0; j < Q4_0Block / 2; j++)
            {
                float x0 = x[j] * id, x1 = x[Q4_0Block / 2 + j] * id;
                int q0 = Math.Min(15, (int)(sbyte)(x0 + 8.5f));
                int q1 = Math.Min(15, (int)(sbyte)(x1 + 8.5f));
                b[2 + j] = (byte)(q0 | (q1 << 4));
            }
        }
    }

    /// <summary>get_scale_min_k4: 6-bit scale and min of sub-block j from the 12 packed bytes.</summary>
    public static void ScaleMinK4(int j, ReadOnlySpan<byte> q, out int scale, out int min)
    {
        if (j < 4)
        {
            scale = q[j] & 63;
            min = q[j + 4] & 63;
        }
        else
        {
            scale = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
            min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
        }
    }

    /// <summary>dequantize_row_q4_K: y = d·sc·q − dmin·m per 32-element sub-block; 64 values per 32 bytes of qs (low nibbles first).</summary>
    public static void DequantizeQ4K(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantGuard.Blocks(dst.Length, QkK, "Q4_K");
        QuantGuard.Bytes(src.Length, (long)nb * Q4KBytes, "Q4_K", "source");
        int y = 0;
        for (int i = 0; i < nb; i++)
        {
            var b = src.Slice(i * Q4KBytes, Q4KBytes);
            float d = QuantGuard.Half(b, 0), dmin = QuantGuard.Half(b, 2);
            var scales = b.Slice(4, 12);
            var q = b.Slice(16, 128);
            int isub = 0, qo = 0;
            for (int j = 0; j < QkK; j += 64)
            {
                ScaleMinK4(isub, scales, out int sc, out int m);
                float d1 = d * sc, m1 = dmin * m;
                ScaleMinK4(isub + 1, scales, out sc, out m);
                float d2 = d * sc, m2 = dmin * m;
                for (int l = 0; l < 32; l++) dst[y++] = d1 * (q[qo + l] & 0xF) - m1;
                for (int l = 0; l < 32; l++) dst[y++] = d2 * (q[qo + l] >> 4) - m2;
                qo += 32;
                isub += 2;
            }
        }
    }

    /// <summary>dequantize_row_q6_K: 6-bit q = (ql nibble | 2 bits of qh) − 32, y = d·scale·q, 128 values per half.</summary>
    public static void DequantizeQ6K(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantGuard.Blocks(dst.Length, QkK, "Q6_K");
        QuantGuard.Bytes(src.Length, (long)nb * Q6KBytes, "Q6_K", "source");
        for (int i = 0; i < nb; i++)
        {
            var b = src.Slice(i * Q6KBytes, Q6KBytes);
            float d = QuantGuard.Half(b, 208);
            int ql = 0, qh = 128, sc = 192;
            int y = i * QkK;
            for (int n = 0; n < QkK; n += 128)
            {
                for (int l = 0; l < 32; l++)
                {
                    int isc = l / 16;
                    int q1 = ((b[ql + l] & 0xF) | (((b[qh + l] >> 0) & 3) << 4)) - 32;
                    int q2 = ((b[ql + l + 32] & 0xF) | (((b[qh + l] >> 2) & 3) << 4)) - 32;
                    int q3 = ((b[ql + l] >> 4) | (((b[qh + l] >> 4) & 3) << 4)) - 32;
                    int q4 = ((b[ql + l + 32] >> 4) | (((b[qh + l] >> 6) & 3) << 4)) - 32;
                    dst[y + l] = d * (sbyte)b[sc + isc] * q1;
                    dst[y + l + 32] = d * (sbyte)b[sc + isc + 2] * q2;
                    dst[y + l + 64] = d * (sbyte)b[sc + isc + 4] * q3;
                    dst[y + l + 96] = d * (sbyte)b[sc + isc + 6] * q4;
                }
                y += 128;
                ql += 64;
                qh += 32;
                sc += 8;
            }
        }
    }

    /// <summary>Σ dequant(row)·x in double, the ground truth for the fast dot kernels.</summary>
    public static double Dot(ReadOnlySpan<float> dequantized, ReadOnlySpan<float> x)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++) s += (double)dequantized[i] * x[i];
        return s;
    }
}
