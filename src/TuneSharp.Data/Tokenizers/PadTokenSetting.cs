// tokenizer.pad_token / padding_side: validates the pad token against the vocabulary and pads rows on the side asked
// (transformers PreTrainedTokenizerBase.pad semantics: right pads after the tokens, left before them).
using TuneSharp.Data.Formatting;
using TuneSharp.Tokenizers;

namespace TuneSharp.Data.Tokenizers;

public static class PadTokenSetting
{
    /// <summary>
    /// Sets <paramref name="padToken"/> on the tokenizer (null keeps its own, else EOS as TRL does) and returns the pad id.
    /// A token outside the vocabulary is an error naming close matches; an id ≥ <paramref name="modelVocabSize"/> too.
    /// </summary>
    public static int Apply(Tokenizer tokenizer, string? padToken, int? modelVocabSize = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (padToken is { Length: > 0 })
        {
            if (tokenizer.TokenToId(padToken) is null)
            {
                var candidates = tokenizer.AddedTokens.Select(t => t.Content).ToArray();
                var hint = Suggest.Closest(padToken, candidates);
                throw new DataFormatException(
                    $"pad_token '{padToken}' is not in the vocabulary of {tokenizer.Source ?? "the tokenizer"}.{(hint is null ? "" : $" Did you mean '{hint}'?")} " +
                    "Pick an existing token the data never uses (Llama-3: <|reserved_special_token_250|> or <|finetune_right_pad_id|>), or leave pad_token unset to pad with EOS.",
                    field: "tokenizer.pad_token");
            }
            tokenizer.SetPadToken(padToken);
        }
        int id = tokenizer.PadTokenId ?? tokenizer.EosTokenId ?? throw new DataFormatException(
            $"{tokenizer.Source ?? "the tokenizer"} has neither a pad nor an EOS token; set tokenizer.pad_token to a token of its vocabulary", field: "tokenizer.pad_token");
        if (modelVocabSize is { } v && id >= v)
            throw new DataFormatException($"pad token id {id} is outside the model's embedding table ({v} rows); choose a pad token with a smaller id", field: "tokenizer.pad_token");
        return id;
    }

    /// <summary>Parses "right"/"left".</summary>
    public static PaddingSide ParseSide(string? side) => (side ?? "right").Trim().ToLowerInvariant() switch
    {
        "right" => PaddingSide.Right,
        "left" => PaddingSide.Left,
        var s => throw new DataFormatException($"padding_side '{s}' must be right or left", field: "tokenizer.padding_side"),
    };

    /// <summary>
    /// Pads rows to the longest: ids with <paramref name="padId"/>, labels with −100, attention mask 0 on the pad side.
    /// Returns (B, T) row-major arrays.
    /// </summary>
    public static (int[] InputIds, int[] Labels, int[] AttentionMask, int Width) Pad(IReadOnlyList<FormattedExample> rows, int padId, PaddingSide side)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int t = rows.Count == 0 ? 0 : rows.Max(r => r.Length);
        var ids = new int[rows.Count * t];
        var labels = new int[rows.Count * t];
        var mask = new int[rows.Count * t];
        Array.Fill(ids, padId);
        Array.Fill(labels, FormattedExample.IgnoreIndex);
        for (int b = 0; b < rows.Count; b++)
        {
            var r = rows[b];
            int off = b * t + (side == PaddingSide.Left ? t - r.Length : 0);
            r.InputIds.CopyTo(ids, off);
            r.Labels.CopyTo(labels, off);
            mask.AsSpan(off, r.Length).Fill(1);
        }
        return (ids, labels, mask, t);
    }
}
