// The result of formatting a dataset: tokenized rows plus the truncation count, savable as pre-tokenized JSONL.
using System.Text;

namespace TuneSharp.Data.Formatting;

public sealed record FormattedDataset(IReadOnlyList<FormattedExample> Examples, int ResponsesTruncatedAway)
{
    public int Count => Examples.Count;

    public long TotalTokens => Examples.Sum(e => (long)e.Length);

    public long TrainedTokens => Examples.Sum(e => (long)e.TrainedTokens);

    /// <summary>Writes one {"input_ids", "labels", "attention_mask"} object per line, atomically (temp file + rename).</summary>
    public void SaveJsonl(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        using (var w = new StreamWriter(tmp, false, new UTF8Encoding(false)))
            foreach (var e in Examples) w.WriteLine(e.ToJson().ToJsonString());
        File.Move(tmp, path, overwrite: true);
    }
}
