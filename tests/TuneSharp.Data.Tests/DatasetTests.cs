// Dataset operations: seeded shuffle/split, map/filter/select/rename, dedupe, save and load back.
using System.Text.Json.Nodes;
using TuneSharp.Data;
using TuneSharp.Data.Loading;

namespace TuneSharp.Data.Tests;

public sealed class DatasetTests
{
    private static Dataset Numbers(int n) =>
        Dataset.FromRows(Enumerable.Range(0, n).Select(i => new JsonObject { ["id"] = i, ["text"] = $"row {i % 7}" }), "numbers");

    [Fact]
    public void ShuffleIsSeededAndAPermutation()
    {
        var ds = Numbers(100);
        var a = ds.Shuffle(42).Rows.Select(r => (int)r["id"]!).ToArray();
        var b = ds.Shuffle(42).Rows.Select(r => (int)r["id"]!).ToArray();
        var c = ds.Shuffle(43).Rows.Select(r => (int)r["id"]!).ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(Enumerable.Range(0, 100), a.Order());
    }

    [Fact]
    public void TrainTestSplitFractionAndCount()
    {
        var split = Numbers(10).TrainTestSplit(0.2, seed: 1);
        Assert.Equal(8, split.Train.Count);
        Assert.Equal(2, split.Test.Count);
        Assert.Empty(split.Train.Rows.Select(r => (int)r["id"]!).Intersect(split.Test.Rows.Select(r => (int)r["id"]!)));
        Assert.Equal(3, Numbers(10).TrainTestSplit(3, seed: 1).Test.Count);
        Assert.Throws<DataFormatException>(() => Numbers(1).TrainTestSplit(0.5, seed: 1));
    }

    [Fact]
    public void MapFilterSelectRename()
    {
        var ds = Numbers(10)
            .Filter(r => (int)r["id"]! % 2 == 0)
            .Map(r => { r["double"] = (int)r["id"]! * 2; return r; })
            .RenameColumns(new Dictionary<string, string> { ["text"] = "content" })
            .SelectColumns("double", "content");
        Assert.Equal(5, ds.Count);
        Assert.Equal(["double", "content"], ds.Columns);
        Assert.Equal(16, (int)ds[4]["double"]!);
    }

    [Fact]
    public void MissingColumnSuggestsTheClosest()
    {
        var e = Assert.Throws<DataFormatException>(() => Numbers(3).SelectColumns("txet"));
        Assert.Contains("Did you mean 'text'", e.Message);
        Assert.Contains("numbers", e.Message);
    }

    [Fact]
    public void ConcatenateTakeSkipDeduplicate()
    {
        var ds = Dataset.Concatenate(Numbers(5), Numbers(5));
        Assert.Equal(10, ds.Count);
        Assert.Equal(5, ds.Deduplicate().Count);
        Assert.Equal(7, Numbers(10).DeduplicateBy("text").Count);
        Assert.Equal(3, ds.Take(3).Count);
        Assert.Equal(7, ds.Skip(3).Count);
    }

    [Fact]
    public void SaveAndLoadBackRoundTrips()
    {
        var dir = Directory.CreateTempSubdirectory("tunesharp-save-").FullName;
        try
        {
            var path = Path.Combine(dir, "out", "data.jsonl");
            var ds = Numbers(4).Map(r => { r["ko"] = "안녕 \"세상\"\n"; return r; });
            ds.SaveJsonl(path);
            var back = DatasetFiles.Load(path);
            Assert.Equal(ds.Count, back.Count);
            for (int i = 0; i < ds.Count; i++) Assert.True(JsonNode.DeepEquals(ds[i], back[i]));
            Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp*"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
