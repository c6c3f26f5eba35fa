// A response or instruction marker for completion-only masking of pre-rendered text: a string (encoded alone, without
// special tokens, as TRL's DataCollatorForCompletionOnlyLM does) or explicit token ids ("[14711, 6075, 512]").
using System.Globalization;
using TuneSharp.Tokenizers;

namespace TuneSharp.Data.Formatting;

public sealed record ResponseMarker(string Spec, int[] Ids, bool GivenAsIds)
{
    /// <summary>
    /// Parses a config/CLI value: a JSON-style id list <c>[1, 2, 3]</c> (or <c>ids:1,2,3</c>) is taken as token ids,
    /// anything else as text encoded with <c>add_special_tokens=False</c>.
    /// </summary>
    public static ResponseMarker Parse(string spec, Tokenizer tokenizer, string setting)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (spec.Length == 0) throw new DataFormatException($"{setting} is empty; give the marker text (e.g. \"### Response:\\n\") or its token ids ([14711, 6075, 512])", field: setting);
        var t = spec.Trim();
        string? list = t.StartsWith('[') && t.EndsWith(']') ? t[1..^1] : t.StartsWith("ids:", StringComparison.Ordinal) ? t[4..] : null;
        if (list != null && list.Split(',').All(x => long.TryParse(x.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out _)))
        {
            var ids = list.Split(',').Select(x => int.Parse(x.Trim(), CultureInfo.InvariantCulture)).ToArray();
            if (ids.Length == 0) throw new DataFormatException($"{setting} lists no token ids", field: setting);
            foreach (var id in ids)
                if (id < 0 || id >= tokenizer.VocabSize)
                    throw new DataFormatException($"{setting} holds token id {id}, outside the vocabulary of {tokenizer.Source ?? "the tokenizer"} (0..{tokenizer.VocabSize - 1})", field: setting);
            return new ResponseMarker(spec, ids, true);
        }
        var encoded = tokenizer.Encode(spec, addSpecialTokens: false);
        if (encoded.Length == 0) throw new DataFormatException($"{setting} '{spec}' encodes to no tokens", field: setting);
        return new ResponseMarker(spec, encoded, false);
    }

    public override string ToString() => GivenAsIds ? $"[{string.Join(", ", Ids)}]" : $"'{Escape(Spec)}' (ids [{string.Join(", ", Ids)}])";

    internal static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\n", "\\n").Replace("\r", "\\r").Replace("\t", "\\t");
}
