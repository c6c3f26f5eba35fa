// The result of formatting a dataset: tokenized rows plus the truncation count, savable as pre-tokenized JSONL.
using TuneSharp.Tensors.IO;

namespace TuneSharp.Data.Formatting;

public sealed record FormattedDataset(IReadOnlyList<FormattedExample> Examples, int ResponsesTruncatedAway)
{
    public int Count => Examples.Count;

    /// <summary>Characters that became the unknown token, per file (empty for byte-level vocabularies).</summary>
    public Tokenizers.TokenizerCoverage? Coverage { get; init; }

    /// <summary>Rows whose response/instruction marker was not found (marker mode).</summary>
    public int MissingMarkers { get; init; }

    public long TotalTokens => Examples.Sum(e => (long)e.Length);

    public long TrainedTokens => Examples.Sum(e => (long)e.TrainedTokens);

    /// <summary>Writes one {"input_ids", "labels", "attention_mask"} object per line, atomically (temp file + rename).</summary>
    public void SaveJsonl(string path) => AtomicFile.WriteLines(path, Examples.Select(e => e.ToJson().ToJsonString()));
}
