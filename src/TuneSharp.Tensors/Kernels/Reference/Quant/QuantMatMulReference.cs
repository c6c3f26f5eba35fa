// Scalar twin of GgmlQuantMatrix: activations quantized per block as ggml's CPU backend does (vec_dot_type: Q8_0 for
// Q8_0/Q4_0/Q5_0, Q8_K for the k-quants; quantize_row_q8_0 / quantize_row_q8_K_ref), then integer block dots scaled in F32
// (ggml_vec_dot_q8_0_q8_0, _q4_0_q8_0, _q5_0_q8_0, _q4_K_q8_K, _q5_K_q8_K, _q6_K_q8_K generic code).
using TuneSharp.Tensors.IO.Gguf;

namespace TuneSharp.Tensors.Kernels.Reference.Quant;

public static class QuantMatMulReference
{
    /// <summary>One activation row quantized: int8 levels and a scale per block (32 for Q8_0, 256 for Q8_K).</summary>
    public readonly record struct QuantizedRow(sbyte[] Q, float[] D, int BlockSize);

    /// <summary>quantize_row_q8_0 (d = amax/127 rounded through f16, q = round(x/d)) or quantize_row_q8_K_ref (d = max/−127 kept in f32, nearest_int).</summary>
    public static QuantizedRow QuantizeActivations(ReadOnlySpan<float> x, bool kQuant)
    {
        int bs = kQuant ? 256 : 32;
        int nb = QuantGuard.Blocks(x.Length, bs, kQuant ? "Q8_K" : "Q8_0");
        var q = new sbyte[x.Length];
        var d = new float[nb];
        QuantizeActivations(x, kQuant, q, d);
        return new QuantizedRow(q, d, bs);
    }

    /// <summary>The same into caller buffers: <paramref name="q"/> (x.Length levels) and <paramref name="d"/> (one scale per block).</summary>
    public static void QuantizeActivations(ReadOnlySpan<float> x, bool kQuant, Span<sbyte> q, Span<float> d)
    {
        int bs = kQuant ? 256 : 32;
        int nb = QuantGuard.Blocks(x.Length, bs, kQuant ? "Q8_K" : "Q8_0");
        for (int b = 0; b < nb; b++)
        {
            var xb = x.Slice(b * bs, bs);
            if (!kQuant)
            {
                float amax = 0;
                for (int j = 0; j < bs; j++) amax = MathF.Max(amax, MathF.Abs(xb[j]));
                float dd = amax / 127, id = dd != 0 ? 1f / dd : 0f;
                d[b] = (float)(Half)dd;
                for (int j = 0; j < bs; j++) q[b * bs + j] = (sbyte)MathF.Round(xb[j] * id, MidpointRounding.AwayFromZero);
            }
            else
            {
                float max = 0, amax = 0;
                for (int j = 0; j < bs; j++) { float a = MathF.Abs(xb[j]); if (a > amax) { amax = a; max = xb[j]; } }
                if (amax == 0) { d[b] = 0; q.Slice(b * bs, bs).Clear(); continue; }
                float iscale = -127f / max;
                for (int j = 0; j < bs; j++) q[b * bs + j] = (sbyte)Math.Min(127, KQuantReference.NearestInt(iscale * xb[j]));
                d[b] = 1 / iscale;
            }
        }
    }

    /// <summary>Σ_k W[n,k]·x[k] for one weight row (GGUF bytes) and one quantized activation row.</summary>
    public static float Dot(GgmlType type, ReadOnlySpan<byte> row, QuantizedRow x)
    {
        int k = x.Q.Length;
        Span<sbyte> levels = stackalloc sbyte[256];
        Span<float> scale = stackalloc float[16];
        Span<float> offset = stackalloc float[16];
        int bs = BlockValues(type), bytes = BlockBytes(type), nb = k / bs;
        double total = 0;
        for (int b = 0; b < nb; b++)
        {
            int sub = DecodeBlock(type, row.Slice(b * bytes, bytes), levels, scale, offset);
            int subLen = bs / sub;
            int xb0 = b * bs;
            float dy = x.D[x.BlockSize == bs ? b : xb0 / x.BlockSize];
            float acc = 0;
            for (int s = 0; s < sub; s++)
            {
                int isum = 0, qsum = 0;
                for (int j = 0; j < subLen; j++)
                {
                    int qy = x.Q[xb0 + s * subLen + j];
                    isum += levels[s * subLen + j] * qy;
                    qsum += qy;
                }
                acc += scale[s] * isum - offset[s] * qsum;
            }
            total += acc * dy;
        }
        return (float)total;
    }

    public static int BlockValues(GgmlType t) => t is GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q5_0 ? 32 : 256;

    public static int BlockBytes(GgmlType t) => t switch
    {
        GgmlType.Q8_0 => 34,
        GgmlType.Q4_0 => 18,
        GgmlType.Q5_0 => 22,
        GgmlType.Q4_K => 144,
        GgmlType.Q5_K => 176,
        GgmlType.Q6_K => 210,
        _ => throw new NotSupportedException($"quantized matmul: ggml type {t} is not supported (Q8_0, Q4_0, Q5_0, Q4_K, Q5_K, Q6_K are)"),
    };

    /// <summary>
    /// Integer levels of one block and per-sub-block float scale and offset so that value = scale·level − offset
    /// (offset = 0 except Q4_K/Q5_K mins). Returns the sub-block count (1 for Q8_0/Q4_0, 8 for Q4_K/Q5_K, 16 for Q6_K).
    /// </summary>
    public static int DecodeBlock(GgmlType t, ReadOnlySpan<byte> b, Span<sbyte> levels, Span<float> scale, Span<float> offset)
    {
        switch (t)
        {
            case GgmlType.Q8_0:
                for (int j = 0; j < 32; j++) levels[j] = (sbyte)b[2 + j];
                scale[0] = QuantGuard.Half(b, 0);
                offset[0] = 0;
                return 1;
            case GgmlType.Q4_0:
                for (int j = 0; j < 16; j++) { levels[j] = (sbyte)((b[2 + j] & 0xF) - 8); levels[j + 16] = (sbyte)((b[2 + j] >> 4) - 8); }
                scale[0] = QuantGuard.Half(b, 0);
                offset[0] = 0;
                return 1;
            case GgmlType.Q5_0:
            {
                // {f16 d; u8 qh[4]; u8 qs[16]}: level = (nibble | bit << 4) − 16; bit j of qh belongs to value j.
                uint qh = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(b[2..]);
                for (int j = 0; j < 16; j++)
                {
                    levels[j] = (sbyte)(((b[6 + j] & 0xF) | (int)(((qh >> j) & 1) << 4)) - 16);
                    levels[j + 16] = (sbyte)(((b[6 + j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4)) - 16);
                }
                scale[0] = QuantGuard.Half(b, 0);
                offset[0] = 0;
                return 1;
            }
            case GgmlType.Q4_K or GgmlType.Q5_K:
            {
                float d = QuantGuard.Half(b, 0), dmin = QuantGuard.Half(b, 2);
                var sc = b.Slice(4, 12);
                bool five = t == GgmlType.Q5_K;
                var qh = five ? b.Slice(16, 32) : default;
                var qs = b.Slice(five ? 48 : 16, 128);
                for (int j = 0; j < 8; j++)
                {
                    GgmlQuantReference.ScaleMinK4(j, sc, out int s, out int m);
                    scale[j] = d * s;
                    offset[j] = dmin * m;
                }
                for (int g = 0; g < 4; g++)
                    for (int l = 0; l < 32; l++)
                    {
                        int lo = qs[32 * g + l] & 0xF, hi = qs[32 * g + l] >> 4;
                        if (five)
                        {
                            if ((qh[l] & (1 << (2 * g))) != 0) lo += 16;
                            if ((qh[l] & (2 << (2 * g))) != 0) hi += 16;
                        }
                        levels[64 * g + l] = (sbyte)lo;
                        levels[64 * g + 32 + l] = (sbyte)hi;
                    }
                return 8;
            }
            case GgmlType.Q6_K:
            {
                float d = QuantGuard.Half(b, 208);
                for (int half = 0; half < 2; half++)
                {
                    int ql = 64 * half, qh = 128 + 32 * half, y = 128 * half;
                    for (int l = 0; l < 32; l++)
                    {
                        levels[y + l] = (sbyte)(((b[ql + l] & 0xF) | (((b[qh + l] >> 0) & 3) << 4)) - 32);
                        levels[y + l + 32] = (sbyte)(((b[ql + l + 32] & 0xF) | (((b[qh + l] >> 2) & 3) << 4)) - 32);
                        levels[y + l + 64] = (sbyte)(((b[ql + l] >> 4) | (((b[qh + l] >> 4) & 3) << 4)) - 32);
                        levels[y + l + 96] = (sbyte)(((b[ql + l + 32] >> 4) | (((b[qh + l] >> 6) & 3) << 4)) - 32);
                    }
                }
                for (int s = 0; s < 16; s++) { scale[s] = d * (sbyte)b[192 + s]; offset[s] = 0; }
                return 16;
            }
            default: throw new NotSupportedException($"quantized matmul: ggml type {t} is not supported (Q8_0, Q4_0, Q5_0, Q4_K, Q5_K, Q6_K are)");
        }
    }
}
