// One pre-tokenized training example: input ids and per-token labels (−100 = not scored), TRL's tokenized layout.
namespace TuneSharp.Training.Sft;

/// <summary>
/// <see cref="InputIds"/> and <see cref="Labels"/> have equal length; labels are aligned with the ids (the causal
/// shift happens in the loss, as in transformers). −100 marks prompt/padding tokens that contribute nothing.
/// </summary>
public sealed record TokenizedExample(int[] InputIds, int[] Labels)
{
    public const int IgnoreIndex = -100;

    /// <summary>Labels = input ids (plain language modelling on every token).</summary>
    public static TokenizedExample FromIds(int[] inputIds) => new(inputIds, (int[])inputIds.Clone());

    public int Length => InputIds.Length;

    /// <summary>Labels that are scored after the causal shift (positions 1..n−1 not equal to −100).</summary>
    public int ScoredTokens(int maxLength)
    {
        int n = Math.Min(Labels.Length, maxLength), c = 0;
        for (int i = 1; i < n; i++) if (Labels[i] != IgnoreIndex) c++;
        return c;
    }
}
