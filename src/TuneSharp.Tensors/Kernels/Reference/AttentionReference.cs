// Scalar twin of Kernels/Attention: full (Tq, Tk) score matrix per head, softmax, ·V — HF modeling_llama/gemma2 eager attention.
using System.Numerics;

namespace TuneSharp.Tensors.Kernels.Reference;

/// <summary>
/// Plain attention with the same layouts and options as <see cref="Attention"/>: q, o (B, Tq, nh, hs); k, v
/// (B, KvCapacity, nkv, hs). Generic so the double version serves finite-difference checks. The backward uses the
/// textbook softmax derivative dS = P ⊙ (dP − Σ_j P·dP) rather than FlashAttention's D = rowsum(dO ⊙ O), so the
/// fast kernel is checked against an independent derivation.
/// </summary>
public static class AttentionReference
{
    /// <summary>o = softmax(mask(softcap(q·kᵀ·scale)))·v; lse (B, nh, Tq) optional (empty span to skip).</summary>
    public static void Forward<T>(in AttentionShape s, ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v,
        ReadOnlySpan<byte> keyMask, Span<T> o, Span<T> lse) where T : IFloatingPointIeee754<T>
    {
        s.Validate();
        int tq = s.QueryLength, tk = s.KeyLength, hs = s.HeadSize;
        var p = new T[tq * tk];
        var t = new T[tq * tk];
        for (int b = 0; b < s.Batch; b++)
            for (int h = 0; h < s.Heads; h++)
            {
                var rowLse = Probabilities(s, q, k, keyMask, b, h, p, t);
                int kvh = h / s.GroupSize;
                for (int i = 0; i < tq; i++)
                {
                    if (!lse.IsEmpty) lse[(b * s.Heads + h) * tq + i] = rowLse[i];
                    for (int d = 0; d < hs; d++)
                    {
                        T acc = T.Zero;
                        for (int j = 0; j < tk; j++) acc += p[i * tk + j] * v[KvIndex(s, b, j, kvh) + d];
                        o[QIndex(s, b, i, h) + d] = acc;
                    }
                }
            }
    }

    /// <summary>dq (B, Tq, nh, hs), dk and dv (B, KvCapacity, nkv, hs; rows ≥ Tk zero) from dO.</summary>
    public static void Backward<T>(in AttentionShape s, ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v,
        ReadOnlySpan<byte> keyMask, ReadOnlySpan<T> dO, Span<T> dq, Span<T> dk, Span<T> dv) where T : IFloatingPointIeee754<T>
    {
        s.Validate();
        int tq = s.QueryLength, tk = s.KeyLength, hs = s.HeadSize;
        dq.Clear();
        dk.Clear();
        dv.Clear();
        var p = new T[tq * tk];
        var t = new T[tq * tk];
        var dp = new T[tq * tk];
        T scale = T.CreateChecked(s.Scale);
        for (int b = 0; b < s.Batch; b++)
            for (int h = 0; h < s.Heads; h++)
            {
                Probabilities(s, q, k, keyMask, b, h, p, t);
                int kvh = h / s.GroupSize;
                for (int i = 0; i < tq; i++)
                    for (int j = 0; j < tk; j++)
                    {
                        T acc = T.Zero;
                        for (int d = 0; d < hs; d++) acc += dO[QIndex(s, b, i, h) + d] * v[KvIndex(s, b, j, kvh) + d];
                        dp[i * tk + j] = acc;
                        for (int d = 0; d < hs; d++) dv[KvIndex(s, b, j, kvh) + d] += p[i * tk + j] * dO[QIndex(s, b, i, h) + d];
                    }
                for (int i = 0; i < tq; i++)
                {
                    T rowDot = T.Zero;
                    for (int j = 0; j < tk; j++) rowDot += p[i * tk + j] * dp[i * tk + j];
                    for (int j = 0; j < tk; j++)
                    {
                        T ds = p[i * tk + j] * (dp[i * tk + j] - rowDot);
                        if (s.SoftCap > 0) ds *= T.One - t[i * tk + j] * t[i * tk + j];
                        ds *= scale;
                        if (ds == T.Zero) continue;
                        for (int d = 0; d < hs; d++)
                        {
                            dq[QIndex(s, b, i, h) + d] += ds * k[KvIndex(s, b, j, kvh) + d];
                            dk[KvIndex(s, b, j, kvh) + d] += ds * q[QIndex(s, b, i, h) + d];
                        }
                    }
                }
            }
    }

    /// <summary>Fills p (Tq × Tk) with the softmax probabilities and t with tanh(raw/cap) (softcap); returns lse per row.</summary>
    private static T[] Probabilities<T>(in AttentionShape s, ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<byte> keyMask,
        int b, int h, T[] p, T[] t) where T : IFloatingPointIeee754<T>
    {
        int tq = s.QueryLength, tk = s.KeyLength, hs = s.HeadSize, kvh = h / s.GroupSize;
        int maskStride = keyMask.IsEmpty ? 0 : s.MaskStride(keyMask.Length);
        T scale = T.CreateChecked(s.Scale), cap = T.CreateChecked(s.SoftCap);
        var lse = new T[tq];
        for (int i = 0; i < tq; i++)
        {
            T max = T.NegativeInfinity;
            for (int j = 0; j < tk; j++)
            {
                T raw = T.Zero;
                for (int d = 0; d < hs; d++) raw += q[QIndex(s, b, i, h) + d] * k[KvIndex(s, b, j, kvh) + d];
                raw *= scale;
                if (s.SoftCap > 0)
                {
                    t[i * tk + j] = T.Tanh(raw / cap);
                    raw = cap * t[i * tk + j];
                }
                bool visible = s.Visible(i, j) && (keyMask.IsEmpty || keyMask[b * maskStride + j] != 0);
                p[i * tk + j] = visible ? raw : T.NegativeInfinity;
                if (visible && raw > max) max = raw;
            }
            if (T.IsNegativeInfinity(max))
            {
                for (int j = 0; j < tk; j++) p[i * tk + j] = T.Zero;
                lse[i] = T.NegativeInfinity;
                continue;
            }
            T sum = T.Zero;
            for (int j = 0; j < tk; j++)
            {
                p[i * tk + j] = T.Exp(p[i * tk + j] - max);
                sum += p[i * tk + j];
            }
            for (int j = 0; j < tk; j++) p[i * tk + j] /= sum;
            lse[i] = max + T.Log(sum);
        }
        return lse;
    }

    private static int QIndex(in AttentionShape s, int b, int i, int h) => ((b * s.QueryLength + i) * s.Heads + h) * s.HeadSize;

    private static int KvIndex(in AttentionShape s, int b, int j, int kvh) => ((b * s.KvCapacity + j) * s.KvHeads + kvh) * s.HeadSize;
}
