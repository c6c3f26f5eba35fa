// ggml's reference k-quant quantizers, written step by step after ggml-quants.c (nearest_int, make_qx_quants,
// make_qkx2_quants, quantize_row_q4_K_ref, quantize_row_q5_K_ref, quantize_row_q6_K_ref, dequantize_row_q5_K) so the
// bytes equal llama-quantize's without an importance matrix. Float operations keep ggml's order (no fused multiply-add).
namespace TuneSharp.Tensors.Kernels.Reference.Quant;

/// <summary>
/// Q4_K = {f16 d; f16 dmin; u8 scales[12]; u8 qs[128]} (144 B / 256 values), 8 sub-blocks of 32, x = d·sc·q − dmin·m.
/// Q5_K = {f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]} (176 B / 256), 5-bit q with the high bit in qh.
/// Q6_K = {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d} (210 B / 256), 16 sub-blocks of 16, x = d·sc·(q − 32).
/// </summary>
public static class KQuantReference
{
    public const int QkK = 256, Q4KBytes = 144, Q5KBytes = 176, Q6KBytes = 210;
    private const float GroupMaxEps = 1e-15f;

    /// <summary>nearest_int: round half to even through the 1.5·2²³ trick (|x| ≤ 4194303).</summary>
    public static int NearestInt(float x)
    {
        float v = x + 12582912f;
        return (BitConverter.SingleToInt32Bits(v) & 0x007fffff) - 0x00400000;
    }

    /// <summary>make_qx_quants with qw = null: signed levels L ∈ [0, 2·nmax) and the scale.</summary>
    private static float MakeQxQuants(int n, int nmax, ReadOnlySpan<float> x, Span<sbyte> l, int rmseType)
    {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++)
        {
            float ax = MathF.Abs(x[i]);
            if (ax > amax) { amax = ax; max = x[i]; }
        }
        if (amax < GroupMaxEps)
        {
            l[..n].Clear();
            return 0f;
        }
        float iscale = -nmax / max;
        if (rmseType == 0)
        {
            for (int i = 0; i < n; i++)
            {
                int q = NearestInt(iscale * x[i]);
                l[i] = (sbyte)(nmax + Math.Max(-nmax, Math.Min(nmax - 1, q)));
            }
            return 1 / iscale;
        }
        bool returnEarly = false;
        if (rmseType < 0) { rmseType = -rmseType; returnEarly = true; }
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++)
        {
            int q = NearestInt(iscale * x[i]);
            q = Math.Max(-nmax, Math.Min(nmax - 1, q));
            l[i] = (sbyte)(q + nmax);
            float w = Weight(rmseType, x[i]);
            sumlx += w * x[i] * q;
            suml2 += w * q * q;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        if (returnEarly) return suml2 > 0 ? 0.5f * (scale + 1 / iscale) : 1 / iscale;
        float best = scale * sumlx;
        for (int step = -9; step <= 9; step++)
        {
            if (step == 0) continue;
            iscale = -(nmax + 0.1f * step) / max;
            sumlx = suml2 = 0;
            for (int i = 0; i < n; i++)
            {
                int q = NearestInt(iscale * x[i]);
                q = Math.Max(-nmax, Math.Min(nmax - 1, q));
                float w = Weight(rmseType, x[i]);
                sumlx += w * x[i] * q;
                suml2 += w * q * q;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2)
            {
                for (int i = 0; i < n; i++)
                {
                    int q = NearestInt(iscale * x[i]);
                    l[i] = (sbyte)(nmax + Math.Max(-nmax, Math.Min(nmax - 1, q)));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    private static float Weight(int rmseType, float x) => rmseType switch
    {
        1 => x * x,
        2 => 1,
        3 => MathF.Abs(x),
        _ => MathF.Sqrt(MathF.Abs(x)),
    };

    /// <summary>make_qkx2_quants: unsigned levels L ∈ [0, nmax] with scale and (returned negated) min, searched over nstep+1 scales.</summary>
    private static float MakeQkx2Quants(int n, int nmax, ReadOnlySpan<float> x, ReadOnlySpan<float> weights, Span<byte> l,
        out float theMin, Span<byte> laux, float rmin, float rdelta, int nstep, bool useMad)
    {
        float min = x[0], max = x[0];
        float sumW = weights[0];
        float sumX = sumW * x[0];
        for (int i = 1; i < n; i++)
        {
            if (x[i] < min) min = x[i];
            if (x[i] > max) max = x[i];
            float w = weights[i];
            sumW += w;
            sumX += w * x[i];
        }
        if (min > 0) min = 0;
        if (max == min)
        {
            l[..n].Clear();
            theMin = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++)
        {
            int q = NearestInt(iscale * (x[i] - min));
            l[i] = (byte)Math.Max(0, Math.Min(nmax, q));
            float diff = scale * l[i] + min - x[i];
            diff = useMad ? MathF.Abs(diff) : diff * diff;
            bestError += weights[i] * diff;
        }
        if (nstep < 1)
        {
            theMin = -min;
            return scale;
        }
        for (int step = 0; step <= nstep; step++)
        {
            iscale = (rmin + rdelta * step + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXl = 0;
            for (int i = 0; i < n; i++)
            {
                int q = NearestInt(iscale * (x[i] - min));
                q = Math.Max(0, Math.Min(nmax, q));
                laux[i] = (byte)q;
                float w = weights[i];
                sumL += w * q;
                sumL2 += w * q * q;
                sumXl += w * q * x[i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0)
            {
                float thisScale = (sumW * sumXl - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXl) / det;
                if (thisMin > 0)
                {
                    thisMin = 0;
                    thisScale = sumXl / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; i++)
                {
                    float diff = thisScale * laux[i] + thisMin - x[i];
                    diff = useMad ? MathF.Abs(diff) : diff * diff;
                    curError += weights[i] * diff;
                }
                if (curError < bestError)
                {
                    laux[..n].CopyTo(l);
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin = -min;
        return scale;
    }

    /// <summary>quantize_row_q4_K_ref.</summary>
    public static void QuantizeQ4K(ReadOnlySpan<float> src, Span<byte> dst) => QuantizeQxK(src, dst, nmax: 15, Q4KBytes, "Q4_K", -1f, 0.1f, 20);

    /// <summary>quantize_row_q5_K_ref.</summary>
    public static void QuantizeQ5K(ReadOnlySpan<float> src, Span<byte> dst) => QuantizeQxK(src, dst, nmax: 31, Q5KBytes, "Q5_K", -0.5f, 0.1f, 15);

    // Q4_K and Q5_K share everything up to packing the levels (4 bits, or 4 + a high bit in qh).
    private static void QuantizeQxK(ReadOnlySpan<float> src, Span<byte> dst, int nmax, int blockBytes, string format, float rmin, float rdelta, int nstep)
    {
        int nb = QuantGuard.Blocks(src.Length, QkK, format);
        QuantGuard.Bytes(dst.Length, (long)nb * blockBytes, format, "destination");
        Span<byte> l = stackalloc byte[QkK];
        Span<byte> laux = stackalloc byte[32];
        Span<float> weights = stackalloc float[32];
        Span<float> mins = stackalloc float[8];
        Span<float> scales = stackalloc float[8];
        for (int i = 0; i < nb; i++)
        {
            var x = src.Slice(i * QkK, QkK);
            var y = dst.Slice(i * blockBytes, blockBytes);
            y.Clear();
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 8; j++)
            {
                var xs = x.Slice(32 * j, 32);
                float sumX2 = 0;
                for (int k = 0; k < 32; k++) sumX2 += xs[k] * xs[k];
                float avX = MathF.Sqrt(sumX2 / 32);
                for (int k = 0; k < 32; k++) weights[k] = avX + MathF.Abs(xs[k]);
                scales[j] = MakeQkx2Quants(32, nmax, xs, weights, l.Slice(32 * j, 32), out mins[j], laux, rmin, rdelta, nstep, false);
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            float invScale = maxScale > 0 ? 63f / maxScale : 0f;
            float invMin = maxMin > 0 ? 63f / maxMin : 0f;
            var sc = y.Slice(4, 12);
            for (int j = 0; j < 8; j++)
            {
                byte ls = (byte)NearestInt(invScale * scales[j]);
                byte lm = (byte)NearestInt(invMin * mins[j]);
                ls = Math.Min((byte)63, ls);
                lm = Math.Min((byte)63, lm);
                if (j < 4)
                {
                    sc[j] = ls;
                    sc[j + 4] = lm;
                }
                else
                {
                    sc[j + 4] = (byte)((ls & 0xF) | ((lm & 0xF) << 4));
                    sc[j - 4] |= (byte)((ls >> 4) << 6);
                    sc[j] |= (byte)((lm >> 4) << 6);
                }
            }
            QuantGuard.WriteHalf(y, 0, maxScale / 63f);
            QuantGuard.WriteHalf(y, 2, maxMin / 63f);
            float d0 = QuantGuard.Half(y, 0), dmin0 = QuantGuard.Half(y, 2);
            for (int j = 0; j < 8; j++)
            {
                GgmlQuantReference.ScaleMinK4(j, sc, out int s, out int m);
                float d = d0 * s;
                if (d == 0) continue;
                float dm = dmin0 * m;
                for (int k = 0; k < 32; k++)
                {
                    int q = NearestInt((x[32 * j + k] + dm) / d);
                    l[32 * j + k] = (byte)Math.Max(0, Math.Min(nmax, q));
                }
            }
            if (nmax == 15)
            {
                var q = y.Slice(16, 128);
                for (int j = 0, o = 0; j < QkK; j += 64, o += 32)
                    for (int k = 0; k < 32; k++) q[o + k] = (byte)(l[j + k] | (l[j + k + 32] << 4));
            }
            else
            {
                var qh = y.Slice(16, 32);
                var ql = y.Slice(48, 128);
                byte m1 = 1, m2 = 2;
                for (int n = 0, o = 0; n < QkK; n += 64, o += 32)
                {
                    for (int j = 0; j < 32; j++)
                    {
                        int l1 = l[n + j];
                        if (l1 > 15) { l1 -= 16; qh[j] |= m1; }
                        int l2 = l[n + j + 32];
                        if (l2 > 15) { l2 -= 16; qh[j] |= m2; }
                        ql[o + j] = (byte)(l1 | (l2 << 4));
                    }
                    m1 <<= 2;
                    m2 <<= 2;
                }
            }
        }
    }

    /// <summary>quantize_row_q6_K_ref.</summary>
    public static void QuantizeQ6K(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int nb = QuantGuard.Blocks(src.Length, QkK, "Q6_K");
        QuantGuard.Bytes(dst.Length, (long)nb * Q6KBytes, "Q6_K", "destination");
        Span<sbyte> l = stackalloc sbyte[QkK];
        Span<float> scales = stackalloc float[16];
        for (int i = 0; i < nb; i++)
        {
            var x = src.Slice(i * QkK, QkK);
            var y = dst.Slice(i * Q6KBytes, Q6KBytes);
            y.Clear();
            float maxScale = 0, maxAbsScale = 0;
            for (int ib = 0; ib < 16; ib++)
            {
                float scale = MakeQxQuants(16, 32, x.Slice(16 * ib, 16), l.Slice(16 * ib, 16), 1);
                scales[ib] = scale;
                float abs = MathF.Abs(scale);
                if (abs > maxAbsScale) { maxAbsScale = abs; maxScale = scale; }
            }
            if (maxAbsScale < GroupMaxEps)
            {
                QuantGuard.WriteHalf(y, 208, 0f);
                continue;
            }
            float iscale = -128f / maxScale;
            QuantGuard.WriteHalf(y, 208, 1 / iscale);
            var sc = y.Slice(192, 16);
            for (int ib = 0; ib < 16; ib++) sc[ib] = (byte)(sbyte)Math.Min(127, NearestInt(iscale * scales[ib]));
            float d0 = QuantGuard.Half(y, 208);
            for (int j = 0; j < 16; j++)
            {
                float d = d0 * (sbyte)sc[j];
                if (d == 0) continue;
                for (int k = 0; k < 16; k++)
                {
                    int q = NearestInt(x[16 * j + k] / d);
                    q = Math.Max(-32, Math.Min(31, q));
                    l[16 * j + k] = (sbyte)(q + 32);
                }
            }
            int qlo = 0, qho = 128;
            for (int j = 0; j < QkK; j += 128)
            {
                for (int k = 0; k < 32; k++)
                {
                    int q1 = l[j + k] & 0xF, q2 = l[j + k + 32] & 0xF, q3 = l[j + k + 64] & 0xF, q4 = l[j + k + 96] & 0xF;
                    y[qlo + k] = (byte)(q1 | (q3 << 4));
                    y[qlo + k + 32] = (byte)(q2 | (q4 << 4));
                    y[qho + k] = (byte)((l[j + k] >> 4) | ((l[j + k + 32] >> 4) << 2) | ((l[j + k + 64] >> 4) << 4) | ((l[j + k + 96] >> 4) << 6));
                }
                qlo += 64;
                qho += 32;
            }
        }
    }

    /// <summary>dequantize_row_q5_K: y = d·sc·(ql nibble + 16·qh bit) − dmin·m per 32-value sub-block.</summary>
    public static void DequantizeQ5K(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantGuard.Blocks(dst.Length, QkK, "Q5_K");
        QuantGuard.Bytes(src.Length, (long)nb * Q5KBytes, "Q5_K", "source");
        int y = 0;
        for (int i = 0; i < nb; i++)
        {
            var b = src.Slice(i * Q5KBytes, Q5KBytes);
            float d = QuantGuard.Half(b, 0), dmin = QuantGuard.Half(b, 2);
            var scales = b.Slice(4, 12);
            var qh = b.Slice(16, 32);
            var ql = b.Slice(48, 128);
            int isub = 0, qo = 0;
            int u1 = 1, u2 = 2;
            for (int j = 0; j < QkK; j += 64)
            {
                GgmlQuantReference.ScaleMinK4(isub, scales, out int sc, out int m);
                float d1 = d * sc, m1 = dmin * m;
                GgmlQuantReference.ScaleMinK4(isub + 1, scales, out sc, out m);
                float d2 = d * sc, m2 = dmin * m;
                for (int l = 0; l < 32; l++) dst[y++] = d1 * ((ql[qo + l] & 0xF) + ((qh[l] & u1) != 0 ? 16 : 0)) - m1;
                for (int l = 0; l < 32; l++) dst[y++] = d2 * ((ql[qo + l] >> 4) + ((qh[l] & u2) != 0 ? 16 : 0)) - m2;
                qo += 32;
                isub += 2;
                u1 <<= 2;
                u2 <<= 2;
            }
        }
    }
}
