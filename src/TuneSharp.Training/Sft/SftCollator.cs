// Batch collation for SFT (TRL DataCollatorForLanguageModeling / padding-free semantics): truncate, pack, pad right or left.
using TuneSharp.Tokenizers;

namespace TuneSharp.Training.Sft;

public sealed class SftCollator
{
    /// <param name="paddingSide">Right (TRL's training default) or left; positions count from each row's first real
    /// token (CausalLMInput derives them from the mask), so both sides give the same loss.</param>
    public SftCollator(int maxSeqLength, int padTokenId, PaddingSide paddingSide = PaddingSide.Right)
    {
        PaddingSide = paddingSide;
        if (maxSeqLength < 2) throw new ConfigException($"max_seq_length must be ≥ 2 (got {maxSeqLength})");
        if (padTokenId < 0) throw new ArgumentException($"pad token id must be ≥ 0 (got {padTokenId})");
        MaxSeqLength = maxSeqLength;
        PadTokenId = padTokenId;
    }

    public int MaxSeqLength { get; }

    public int PadTokenId { get; }

    public PaddingSide PaddingSide { get; }

    /// <summary>Truncates every example to max_seq_length (TRL truncation keeps the start).</summary>
    public IReadOnlyList<TokenizedExample> Truncate(IReadOnlyList<TokenizedExample> data) =>
        data.Select(e => e.Length <= MaxSeqLength ? e : new TokenizedExample(e.InputIds[..MaxSeqLength], e.Labels[..MaxSeqLength])).ToList();

    /// <summary>
    /// TRL packing: concatenates the (truncated) examples in order into rows of exactly max_seq_length (the last row
    /// may be shorter). Labels stay per example: the first token of every example after the first in a row gets
    /// label −100, so no token is ever trained to predict the start of an unrelated example.
    /// </summary>
    public IReadOnlyList<TokenizedExample> Pack(IReadOnlyList<TokenizedExample> data)
    {
        var rows = new List<TokenizedExample>();
        var ids = new List<int>(MaxSeqLength);
        var labels = new List<int>(MaxSeqLength);
        foreach (var e in Truncate(data))
        {
            for (int i = 0; i < e.Length; i++)
            {
                if (ids.Count == MaxSeqLength)
                {
                    rows.Add(new TokenizedExample([.. ids], [.. labels]));
                    ids.Clear();
                    labels.Clear();
                }
                ids.Add(e.InputIds[i]);
                labels.Add(i == 0 && ids.Count > 1 ? TokenizedExample.IgnoreIndex : e.Labels[i]);
            }
        }
        if (ids.Count > 0) rows.Add(new TokenizedExample([.. ids], [.. labels]));
        return rows;
    }

    /// <summary>Pads the examples to the longest one (≤ max_seq_length, longer ones truncated) → (B, T), on <see cref="PaddingSide"/>.</summary>
    public SftBatch Collate(IReadOnlyList<TokenizedExample> examples)
    {
        if (examples.Count == 0) throw new ArgumentException("cannot collate an empty batch");
        int t = examples.Max(e => Math.Min(e.Length, MaxSeqLength));
        int b = examples.Count;
        var ids = new int[b * t];
        var labels = new int[b * t];
        var mask = new int[b * t];
        Array.Fill(ids, PadTokenId);
        Array.Fill(labels, TokenizedExample.IgnoreIndex);
        int tokens = 0, scored = 0;
        for (int r = 0; r < b; r++)
        {
            var e = examples[r];
            int n = Math.Min(e.Length, t);
            int at = r * t + (PaddingSide == PaddingSide.Left ? t - n : 0);
            e.InputIds.AsSpan(0, n).CopyTo(ids.AsSpan(at));
            e.Labels.AsSpan(0, n).CopyTo(labels.AsSpan(at));
            mask.AsSpan(at, n).Fill(1);
            tokens += n;
            scored += e.ScoredTokens(n);
        }
        return new SftBatch(ids, labels, mask, b, t, tokens, scored);
    }
}
