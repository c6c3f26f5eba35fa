// Scalar twin of Kernels/LmHeadCrossEntropy: materializes the (N, V) logits, then F.cross_entropy(ignore_index=−100) semantics.
using System.Numerics;

namespace TuneSharp.Tensors.Kernels.Reference;

/// <summary>
/// hidden (N, C), weight (V, C), labels (N) with −100 ignored; optional softcap z = cap·tanh(x/cap) (Gemma-2 final logits).
/// Generic so the double version serves finite-difference checks.
/// </summary>
public static class LmHeadCrossEntropyReference
{
    /// <summary>
    /// Returns (Σ loss, counted tokens). When dHidden (N, C) is not empty it is overwritten with gradScale·∂Σloss/∂hidden;
    /// when dWeight (V, C) is not empty gradScale·∂Σloss/∂W is added to it.
    /// </summary>
    public static (T LossSum, int Count) ForwardBackward<T>(ReadOnlySpan<T> hidden, ReadOnlySpan<T> weight, ReadOnlySpan<int> labels,
        int n, int c, int v, T gradScale, T softCap, Span<T> dHidden, Span<T> dWeight) where T : IFloatingPointIeee754<T>
    {
        var z = new T[n * v];
        var t = new T[n * v];
        bool capped = softCap > T.Zero;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < v; j++)
            {
                T acc = T.Zero;
                for (int p = 0; p < c; p++) acc += hidden[i * c + p] * weight[j * c + p];
                if (capped)
                {
                    t[i * v + j] = T.Tanh(acc / softCap);
                    acc = softCap * t[i * v + j];
                }
                z[i * v + j] = acc;
            }
        if (!dHidden.IsEmpty) dHidden.Clear();
        T lossSum = T.Zero;
        int count = 0;
        var g = new T[v];
        for (int i = 0; i < n; i++)
        {
            int label = labels[i];
            if (label == LmHeadCrossEntropy.IgnoreIndex) continue;
            if ((uint)label >= (uint)v) throw new ArgumentOutOfRangeException(nameof(labels), label, $"labels[{i}] outside [0, {v})");
            count++;
            T max = T.NegativeInfinity;
            for (int j = 0; j < v; j++) max = T.Max(max, z[i * v + j]);
            T sum = T.Zero;
            for (int j = 0; j < v; j++) sum += T.Exp(z[i * v + j] - max);
            T lse = max + T.Log(sum);
            lossSum += lse - z[i * v + label];
            if (dHidden.IsEmpty && dWeight.IsEmpty) continue;
            for (int j = 0; j < v; j++)
            {
                T d = T.Exp(z[i * v + j] - lse) - (j == label ? T.One : T.Zero);
                if (capped) d *= T.One - t[i * v + j] * t[i * v + j];
                g[j] = d * gradScale;
            }
            for (int j = 0; j < v; j++)
                for (int p = 0; p < c; p++)
                {
                    if (!dHidden.IsEmpty) dHidden[i * c + p] += g[j] * weight[j * c + p];
                    if (!dWeight.IsEmpty) dWeight[j * c + p] += g[j] * hidden[i * c + p];
                }
        }
        return (lossSum, count);
    }

    /// <summary>
    /// Twin of <see cref="LmHeadCrossEntropy.TokenLogProbs(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float}, Span{float}, int, int, int, float, int)"/>:
    /// logProbs[i] = z_i[label_i] − logsumexp(z_i), logitSums[i] = Σ_j z_ij (ignored rows 0); dHidden (overwritten) and
    /// dWeight (accumulated) get Σ_i rowScales[i]·∂logProbs[i]/∂· when not empty (rowScales empty = 1).
    /// </summary>
    public static void TokenLogProbs<T>(ReadOnlySpan<T> hidden, ReadOnlySpan<T> weight, ReadOnlySpan<int> labels, ReadOnlySpan<T> rowScales,
        int n, int c, int v, T softCap, Span<T> logProbs, Span<T> logitSums, Span<T> dHidden, Span<T> dWeight) where T : IFloatingPointIeee754<T>
    {
        bool capped = softCap > T.Zero;
        if (!dHidden.IsEmpty) dHidden.Clear();
        var z = new T[v];
        var t = new T[v];
        for (int i = 0; i < n; i++)
        {
            logProbs[i] = T.Zero;
            if (!logitSums.IsEmpty) logitSums[i] = T.Zero;
            int label = labels[i];
            if (label == LmHeadCrossEntropy.IgnoreIndex) continue;
            if ((uint)label >= (uint)v) throw new ArgumentOutOfRangeException(nameof(labels), label, $"labels[{i}] outside [0, {v})");
            T max = T.NegativeInfinity, zsum = T.Zero;
            for (int j = 0; j < v; j++)
            {
                T acc = T.Zero;
                for (int p = 0; p < c; p++) acc += hidden[i * c + p] * weight[j * c + p];
                if (capped)
                {
                    t[j] = T.Tanh(acc / softCap);
                    acc = softCap * t[j];
                }
                z[j] = acc;
                zsum += acc;
                max = T.Max(max, acc);
            }
            T sum = T.Zero;
            for (int j = 0; j < v; j++) sum += T.Exp(z[j] - max);
            T lse = max + T.Log(sum);
            logProbs[i] = z[label] - lse;
            if (!logitSums.IsEmpty) logitSums[i] = zsum;
            if (dHidden.IsEmpty && dWeight.IsEmpty) continue;
            T scale = rowScales.IsEmpty ? T.One : rowScales[i];
            for (int j = 0; j < v; j++)
            {
                // ∂logp/∂z_j = onehot − softmax, times the softcap derivative 1 − tanh².
                T d = (j == label ? T.One : T.Zero) - T.Exp(z[j] - lse);
                if (capped) d *= T.One - t[j] * t[j];
                d *= scale;
                for (int p = 0; p < c; p++)
                {
                    if (!dHidden.IsEmpty) dHidden[i * c + p] += d * weight[j * c + p];
                    if (!dWeight.IsEmpty) dWeight[j * c + p] += d * hidden[i * c + p];
                }
            }
        }
    }
}
