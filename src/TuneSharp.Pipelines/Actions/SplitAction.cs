// The `split` step: a seeded train/test split of a dataset file (HF train_test_split semantics) into train.jsonl and test.jsonl.
using TuneSharp.Data;
using TuneSharp.Data.Loading;

namespace TuneSharp.Pipelines.Actions;

public static class SplitAction
{
    /// <summary>
    /// <paramref name="keepEmpty"/>: keep only rows whose column is empty (the QLoRA course keeps Alpaca rows with an empty
    /// <c>input</c>); <paramref name="maxRows"/> caps the rows before splitting (0 = all). Returns (train, test) row counts.
    /// </summary>
    public static (int Train, int Test) Run(string input, double testSize, ulong seed, string outDir, string? keepEmpty = null, int maxRows = 0)
    {
        var ds = DatasetFiles.Load(input);
        if (keepEmpty != null)
            ds = ds.Filter(row => !row.TryGetPropertyValue(keepEmpty, out var v) || v is null || (v.GetValueKind() == System.Text.Json.JsonValueKind.String && v.GetValue<string>().Length == 0));
        if (maxRows > 0 && ds.Count > maxRows) ds = ds.Take(maxRows);
        var split = ds.TrainTestSplit(testSize, seed);
        Directory.CreateDirectory(outDir);
        split.Train.SaveJsonl(Path.Combine(outDir, "train.jsonl"));
        split.Test.SaveJsonl(Path.Combine(outDir, "test.jsonl"));
        return (split.Train.Count, split.Test.Count);
    }
}
