// Parquet (parquet-wasm), Arrow IPC (apache-arrow) and HF dataset folders written by other tools read correctly.
using System.Text.Json.Nodes;
using TuneSharp.Data.Loading;

namespace TuneSharp.Data.Tests;

public sealed class ColumnarLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tunesharp-cols-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // hyparquet (a third, independent reader) wrote these rows from chat.parquet; every reader must agree with them.
    private static JsonArray Expected() => (JsonArray)JsonNode.Parse(File.ReadAllText(GoldenData.Path("chat_expected.json")))!;

    private static void AssertRowsEqual(JsonArray expected, IReadOnlyList<JsonObject> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
            Assert.True(JsonNode.DeepEquals(expected[i], actual[i]), $"row {i}: expected {expected[i]!.ToJsonString()} got {actual[i].ToJsonString()}");
    }

    [Theory]
    [InlineData("chat.parquet")]
    [InlineData("chat_uncompressed.parquet")]
    [InlineData("chat.arrow")]
    [InlineData("chat_stream.arrows")]
    public void NestedChatColumnsNullsAndDictionariesReadLikeAnIndependentReader(string file)
    {
        var rows = DatasetFiles.StreamFile(GoldenData.Path(file)).ToList();
        AssertRowsEqual(Expected(), rows);
        // messages is a list of structs; a null list stays null, an empty one empty, a null field null.
        Assert.Equal("관세청", rows[0]["messages"]![1]!["content"]!.GetValue<string>());
        Assert.Null(rows[5]["messages"]);
        Assert.Empty(rows[3]["messages"]!.AsArray());
        Assert.Null(rows[2]["messages"]![0]!["content"]);
        Assert.Equal("glossary", rows[1]["source"]!.GetValue<string>()); // dictionary-encoded
    }

    [Fact]
    public void ParquetStreamsRowGroupByRowGroupAndCountsFromTheFooter()
    {
        Assert.Equal(8, ParquetLoader.CountRows(GoldenData.Path("chat.parquet")));
        // Lazy: taking two rows never touches the later row groups.
        Assert.Equal(2, ParquetLoader.Stream(GoldenData.Path("chat.parquet")).Take(2).Count());
    }

    [Fact]
    public void HubFolderSplitsComeFromTheReadmeConfigs()
    {
        var dir = GoldenData.Path("hf_hub");
        var splits = HfDatasetFolder.Splits(dir);
        Assert.Equal(["train", "test"], splits.Keys);
        Assert.Equal(2, splits["train"].Count);
        var train = DatasetFiles.Load(dir);
        Assert.Equal(7, train.Count);
        Assert.Equal("train 질문 1: 물의 끓는점은?", train.GetString(0, "instruction"));
        Assert.Equal("train 답 7: 100°C", train.GetString(6, "output"));
        var test = DatasetFiles.LoadSplit([dir], "test");
        Assert.Equal(3, test.Count);
    }

    [Fact]
    public void HubFolderWithoutReadmeInfersSplitsFromFileNames()
    {
        var data = Directory.CreateDirectory(Path.Combine(_dir, "data")).FullName;
        foreach (var f in Directory.GetFiles(GoldenData.Path("hf_hub", "data"))) File.Copy(f, Path.Combine(data, Path.GetFileName(f)));
        File.Copy(GoldenData.Path("chat.parquet"), Path.Combine(data, "validation-00000-of-00001.parquet"));
        var splits = HfDatasetFolder.Splits(_dir);
        Assert.Equal(2, splits["train"].Count);
        Assert.Single(splits["test"]);
        Assert.Single(splits["validation"]);
        Assert.Equal(8, DatasetFiles.LoadSplit([_dir], "validation").Count);
        var e = Assert.Throws<DataFormatException>(() => DatasetFiles.LoadSplit([_dir], "tset"));
        Assert.Contains("Did you mean 'test'", e.Message);
    }

    [Fact]
    public void SaveToDiskFolderReadsShardsInStateOrder()
    {
        var dir = GoldenData.Path("hf_disk");
        var splits = HfDatasetFolder.Splits(dir);
        Assert.Equal(["train", "test"], splits.Keys);
        Assert.EndsWith("data-00001-of-00002.arrow", splits["train"][1]);
        var train = DatasetFiles.Load(dir);
        Assert.Equal(7, train.Count);
        Assert.Equal(Enumerable.Range(1, 7).Select(i => $"train 답 {i}: 100°C"), Enumerable.Range(0, 7).Select(i => train.GetString(i, "output")));
        Assert.Equal("섭씨로", train.GetString(3, "input"));
        Assert.Equal(3, DatasetFiles.LoadSplit([dir], "test").Count);
    }

    [Fact]
    public void PathListsGlobsAndDataFilesPerSplit()
    {
        var hub = GoldenData.Path("hf_hub");
        // A list (newline-joined, as the config binder passes a YAML list) of a glob and a file.
        var ds = DatasetFiles.Load(Path.Combine(hub, "data", "train-*.parquet") + "\n" + GoldenData.Path("hf_hub", "data", "test-00000-of-00001.parquet"));
        Assert.Equal(10, ds.Count);
        var splits = DatasetSources.Resolve([hub], new Dictionary<string, IReadOnlyList<string>>
        {
            ["train"] = ["data/train-00001-of-00002.parquet"],
            ["validation"] = ["data/test-*", "data/train-00000-of-00002.parquet"],
        });
        Assert.Single(splits["train"]);
        Assert.Equal(2, splits["validation"].Count);
        Assert.Equal(3 + 4, DatasetFiles.LoadSplit([hub], "validation", new Dictionary<string, IReadOnlyList<string>> { ["validation"] = ["data/test-*", "data/train-00000-of-00002.parquet"] }).Count);
        var e = Assert.Throws<DataFormatException>(() => DatasetFiles.Load(Path.Combine(hub, "data", "nope-*.parquet")));
        Assert.Contains("matches no file", e.Message);
    }

    [Fact]
    public void GlobSemantics()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "a", "b"));
        foreach (var f in new[] { "x1.jsonl", "x2.jsonl", "a/x3.jsonl", "a/b/x4.jsonl", "a/y.csv" }) File.WriteAllText(Path.Combine(_dir, f), "{}\n");
        Assert.Equal(2, Glob.Expand("x?.jsonl", _dir).Count);
        Assert.Equal(4, Glob.Expand("**/*.jsonl", _dir).Count);
        Assert.Single(Glob.Expand("a/*.jsonl", _dir));
        Assert.Equal(2, Glob.Expand("a/**/x[34].jsonl", _dir).Count);
    }

    [Fact]
    public void ReadmeFrontMatterForms()
    {
        var cfg = HfDatasetFolder.ReadmeDataFiles("---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n    path:\n    - a/*.parquet\n    - b.parquet\n  - split: test\n    path: [\"t1.parquet\", t2.parquet]\n- config_name: other\n  data_files: o.parquet\n---\n");
        Assert.Equal(2, cfg.Count);
        Assert.Equal(["a/*.parquet", "b.parquet"], cfg[0].Patterns);
        Assert.Equal(["t1.parquet", "t2.parquet"], cfg[1].Patterns);
        var bare = HfDatasetFolder.ReadmeDataFiles("---\nconfigs:\n- config_name: default\n  data_files: data/*.parquet\n---\n");
        Assert.Equal(("train", "data/*.parquet"), (bare[0].Split, bare[0].Patterns[0]));
    }

    [Fact]
    public void TruncatedParquetIsANamedError()
    {
        var bytes = File.ReadAllBytes(GoldenData.Path("chat.parquet"));
        var path = Path.Combine(_dir, "cut.parquet");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.ThrowsAny<DataFormatException>(() => DatasetFiles.StreamFile(path).ToList());
        Assert.Contains("cut.parquet", e.Message);
    }
}
