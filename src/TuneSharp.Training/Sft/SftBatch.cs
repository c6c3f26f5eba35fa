// A collated batch: ids, labels and attention mask (B, T) row-major, padded on the collator's side.
namespace TuneSharp.Training.Sft;

/// <summary>
/// ids/labels/mask are (B·T) row-major. Padding: ids = pad id, labels = −100, mask = 0.
/// <see cref="Tokens"/> counts real (unpadded) tokens, <see cref="ScoredTokens"/> the labels scored after the shift.
/// </summary>
public sealed record SftBatch(int[] InputIds, int[] Labels, int[] AttentionMask, int Batch, int SeqLen, int Tokens, int ScoredTokens)
{
    public bool HasPadding => Tokens != Batch * SeqLen;
}
