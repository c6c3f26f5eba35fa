// Per-token variant of the fused LM head: log p(label) per row (TRL's selective_log_softmax, trl/trainer/utils.py) and
// per-row logit sums, with per-row gradient scales — what preference losses (DPO/ORPO/SimPO) need without (N, V) logits.
namespace TuneSharp.Tensors.Kernels;

public static unsafe partial class LmHeadCrossEntropy
{
    /// <summary>
    /// hidden (N, C) · weightᵀ (V, C) → for each row i with labels[i] ≠ −100: logProbs[i] = z_i[label_i] − logsumexp(z_i)
    /// and (when not empty) logitSums[i] = Σ_j z_ij, z after the optional softcap; ignored rows get 0 in both.
    /// When <paramref name="dHidden"/> (N, C) is not empty it is overwritten with rowScales[i]·∂logProbs[i]/∂hidden_i
    /// (rowScales empty = 1), and a non-empty <paramref name="dWeight"/> (V, C) accumulates Σ_i rowScales[i]·∂logProbs[i]/∂W.
    /// Returns the number of counted rows.
    /// </summary>
    public static int TokenLogProbs(ReadOnlySpan<float> hidden, ReadOnlySpan<float> weight, ReadOnlySpan<int> labels, ReadOnlySpan<float> rowScales,
        Span<float> logProbs, Span<float> logitSums, Span<float> dHidden, Span<float> dWeight, int n, int c, int v, float softCap = 0, int chunkRows = 0)
    {
        fixed (float* w = weight) return TokenLogProbsCore(hidden, w, weight.Length, DType.F32, labels, rowScales, logProbs, logitSums, dHidden, dWeight, n, c, v, softCap, chunkRows);
    }

    /// <summary>As the F32 overload, with a BF16 weight (V, C); dWeight is still F32.</summary>
    public static int TokenLogProbs(ReadOnlySpan<float> hidden, ReadOnlySpan<BFloat16> weight, ReadOnlySpan<int> labels, ReadOnlySpan<float> rowScales,
        Span<float> logProbs, Span<float> logitSums, Span<float> dHidden, Span<float> dWeight, int n, int c, int v, float softCap = 0, int chunkRows = 0)
    {
        fixed (BFloat16* w = weight) return TokenLogProbsCore(hidden, w, weight.Length, DType.BF16, labels, rowScales, logProbs, logitSums, dHidden, dWeight, n, c, v, softCap, chunkRows);
    }

    /// <summary>As the F32 overload, with an F16 weight (V, C); dWeight is still F32.</summary>
    public static int TokenLogProbs(ReadOnlySpan<float> hidden, ReadOnlySpan<Half> weight, ReadOnlySpan<int> labels, ReadOnlySpan<float> rowScales,
        Span<float> logProbs, Span<float> logitSums, Span<float> dHidden, Span<float> dWeight, int n, int c, int v, float softCap = 0, int chunkRows = 0)
    {
        fixed (Half* w = weight) return TokenLogProbsCore(hidden, w, weight.Length, DType.F16, labels, rowScales, logProbs, logitSums, dHidden, dWeight, n, c, v, softCap, chunkRows);
    }

    private static int TokenLogProbsCore(ReadOnlySpan<float> hidden, void* w, int wLength, DType wType, ReadOnlySpan<int> labels, ReadOnlySpan<float> rowScales,
        Span<float> logProbs, Span<float> logitSums, Span<float> dHidden, Span<float> dWeight, int n, int c, int v, float softCap, int chunkRows)
    {
        bool backward = !dHidden.IsEmpty;
        if (!backward && !dWeight.IsEmpty) throw new ArgumentException("LmHeadCrossEntropy.TokenLogProbs: dWeight needs dHidden", nameof(dWeight));
        if (logProbs.IsEmpty && n > 0) throw new ArgumentException("LmHeadCrossEntropy.TokenLogProbs: logProbs must have N elements", nameof(logProbs));
        // d logp = −d(CE loss): the CE core's gradient with scale −1 (or −rowScales[i]) is ∂logp/∂·, scaled.
        float[]? negated = null;
        if (backward && !rowScales.IsEmpty)
        {
            negated = new float[rowScales.Length];
            for (int i = 0; i < negated.Length; i++) negated[i] = -rowScales[i];
        }
        var r = Run(hidden, w, wLength, wType, labels, dHidden, dWeight, n, c, v, -1f, softCap, chunkRows, backward, negated, logProbs, logitSums);
        for (int i = 0; i < logProbs.Length; i++) logProbs[i] = -logProbs[i]; // −0 → 0 for ignored rows is fine either way
        return r.Count;
    }
}
