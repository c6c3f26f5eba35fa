// One tokenized training row: input ids, labels (−100 = not trained on) and attention mask, TRL's pre-tokenized layout.
using System.Text;
using System.Text.Json.Nodes;
using TuneSharp.Tokenizers;

namespace TuneSharp.Data.Formatting;

/// <summary>
/// <see cref="InputIds"/>, <see cref="Labels"/> and <see cref="AttentionMask"/> have equal length; labels are aligned
/// with the ids (the causal shift happens in the loss, as in transformers).
/// </summary>
public sealed record FormattedExample(int[] InputIds, int[] Labels, int[] AttentionMask)
{
    public const int IgnoreIndex = -100;

    /// <summary>Set when truncation removed every response token of this row.</summary>
    public bool ResponseTruncatedAway { get; init; }

    /// <summary>Which marker (response/instruction) was not found in this row's tokens in marker mode; null when none was missing.</summary>
    public string? MissingMarker { get; init; }

    /// <summary>Tokens cut off by truncation.</summary>
    public int TruncatedTokens { get; init; }

    public int Length => InputIds.Length;

    /// <summary>Tokens whose label is not −100.</summary>
    public int TrainedTokens => Labels.Count(l => l != IgnoreIndex);

    public static FormattedExample Create(int[] ids, int[] labels)
    {
        if (ids.Length != labels.Length) throw new ArgumentException($"{ids.Length} input_ids but {labels.Length} labels");
        var mask = new int[ids.Length];
        Array.Fill(mask, 1);
        return new FormattedExample(ids, labels, mask);
    }

    /// <summary>The row as saved to JSONL: {"input_ids": [...], "labels": [...], "attention_mask": [...]}.</summary>
    public JsonObject ToJson() => new()
    {
        ["input_ids"] = new JsonArray(InputIds.Select(i => (JsonNode)i).ToArray()),
        ["labels"] = new JsonArray(Labels.Select(i => (JsonNode)i).ToArray()),
        ["attention_mask"] = new JsonArray(AttentionMask.Select(i => (JsonNode)i).ToArray()),
    };

    /// <summary>
    /// Decoded text with the trained spans marked: masked (prompt) text as is, trained text between
    /// <paramref name="open"/> and <paramref name="close"/>; what `tunesharp data preview` shows.
    /// </summary>
    public string Describe(Tokenizer tokenizer, string open = "[[", string close = "]]")
    {
        var sb = new StringBuilder();
        int i = 0;
        while (i < InputIds.Length)
        {
            bool trained = Labels[i] != IgnoreIndex;
            int j = i;
            while (j < InputIds.Length && (Labels[j] != IgnoreIndex) == trained) j++;
            var text = tokenizer.Decode(InputIds.AsSpan(i, j - i));
            sb.Append(trained ? open + text + close : text);
            i = j;
        }
        return sb.ToString();
    }
}
