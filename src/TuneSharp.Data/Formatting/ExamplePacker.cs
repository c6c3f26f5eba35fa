// Packing of tokenized examples into fixed-length rows (TRL packing, "bfd"-free sequential variant).
namespace TuneSharp.Data.Formatting;

public static class ExamplePacker
{
    /// <summary>
    /// Concatenates the examples in order (each first truncated to <paramref name="maxSeqLength"/>) into rows of exactly
    /// <paramref name="maxSeqLength"/> tokens; the last row may be shorter. The first token of every example that does not
    /// start a row gets label −100 so no position learns to predict the start of an unrelated example.
    /// </summary>
    public static IReadOnlyList<FormattedExample> Pack(IEnumerable<FormattedExample> examples, int maxSeqLength)
    {
        if (maxSeqLength < 2) throw new ArgumentException($"max_seq_length must be ≥ 2 for packing (got {maxSeqLength})");
        var rows = new List<FormattedExample>();
        var ids = new List<int>(maxSeqLength);
        var labels = new List<int>(maxSeqLength);
        foreach (var e in examples)
        {
            int n = Math.Min(e.Length, maxSeqLength);
            for (int i = 0; i < n; i++)
            {
                if (ids.Count == maxSeqLength)
                {
                    rows.Add(FormattedExample.Create([.. ids], [.. labels]));
                    ids.Clear();
                    labels.Clear();
                }
                labels.Add(i == 0 && ids.Count > 0 ? FormattedExample.IgnoreIndex : e.Labels[i]);
                ids.Add(e.InputIds[i]);
            }
        }
        if (ids.Count > 0) rows.Add(FormattedExample.Create([.. ids], [.. labels]));
        return rows;
    }
}
