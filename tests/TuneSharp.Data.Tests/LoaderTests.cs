// Loaders on the real datasets in ../shared/assets/datasets and on malformed files.
using System.Text.Json.Nodes;
using TuneSharp.Data;
using TuneSharp.Data.Loading;
using TuneSharp.Testing;

namespace TuneSharp.Data.Tests;

public sealed class LoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tunesharp-data-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void KoreanChatbotCsvLoadsEveryRow()
    {
        var ds = DatasetFiles.Load(SharedAssets.Require("datasets/ko-chatbot/ChatbotData.csv"));
        Assert.Equal(11823, ds.Count);
        Assert.Equal(["Q", "A", "label"], ds.Columns);
        Assert.Equal("12시 땡!", ds.GetString(0, "Q"));
        Assert.Equal("하루가 또 가네요.", ds.GetString(0, "A"));
    }

    [Fact]
    public void AlpacaDemoJsonLoads()
    {
        var ds = DatasetFiles.Load(SharedAssets.Require("datasets/alpaca-demo/alpaca_en_demo.json"));
        Assert.Equal(999, ds.Count);
        Assert.Contains("instruction", ds.Columns);
        Assert.Equal("Describe a process of making crepes.", ds.GetString(0, "instruction"));
    }

    [Fact]
    public void Gsm8kJsonLoads()
    {
        var ds = DatasetFiles.Load(SharedAssets.Require("datasets/gsm8k/gsm_8k_train.json"));
        Assert.Equal(7473, ds.Count);
        Assert.StartsWith("Natalia sold clips", ds.GetString(0, "instruction"));
    }

    [Fact]
    public void MtBenchJsonlLoadsWithNestedTurns()
    {
        var ds = DatasetFiles.Load(SharedAssets.Require("datasets/mt-bench/mt_bench_question.jsonl"));
        Assert.Equal(80, ds.Count);
        Assert.Equal(2, ds[0]["turns"]!.AsArray().Count);
    }

    [Fact]
    public void ChatJsonlKeepsMessages()
    {
        var ds = DatasetFiles.Load(SharedAssets.Require("datasets/alpaca-demo/v1_sft_demo.jsonl"));
        Assert.Equal(500, ds.Count);
        Assert.Equal("user", ds[0]["messages"]![0]!["role"]!.GetValue<string>());
    }

    [Fact]
    public void KorStsTsvLoads()
    {
        var ds = DatasetFiles.Load(SharedAssets.Require("datasets/korsts/KorSTS_sts-dev.tsv"));
        Assert.True(ds.Count > 1000);
        Assert.Equal("5.000", ds.GetString(0, "score"));
    }

    [Fact]
    public void CsvQuotedFieldsWithEmbeddedNewlinesAndQuotes()
    {
        var path = Write("q.csv", "a,b\n\"x, y\",\"line1\nline2 \"\"quoted\"\"\"\nplain,2\n");
        var ds = DatasetFiles.Load(path);
        Assert.Equal(2, ds.Count);
        Assert.Equal("x, y", ds.GetString(0, "a"));
        Assert.Equal("line1\nline2 \"quoted\"", ds.GetString(0, "b"));
        Assert.Equal("plain", ds.GetString(1, "a"));
    }

    [Fact]
    public void CsvWrongFieldCountNamesFileAndLine()
    {
        var path = Write("bad.csv", "a,b\n1,2\n\"multi\nline\",2\n3,4,5\n");
        var e = Assert.Throws<DataFormatException>(() => DatasetFiles.Load(path));
        Assert.Contains("bad.csv: row 3 (line 5)", e.Message);
        Assert.Contains("3 fields", e.Message);
    }

    [Fact]
    public void CsvUnclosedQuoteIsReported()
    {
        var path = Write("open.csv", "a,b\n1,\"never closed\n");
        var e = Assert.Throws<DataFormatException>(() => DatasetFiles.Load(path));
        Assert.Contains("open.csv:2", e.Message);
        Assert.Contains("never closed", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void JsonlMalformedLineNamesLine()
    {
        var path = Write("bad.jsonl", "{\"a\": 1}\n\n{\"a\": 2,}\n");
        var e = Assert.Throws<DataFormatException>(() => DatasetFiles.Load(path));
        Assert.Contains("bad.jsonl: row 2 (line 3)", e.Message);
    }

    [Fact]
    public void JsonlNonObjectLineIsReported()
    {
        var path = Write("arr.jsonl", "{\"a\": 1}\n[1,2]\n");
        var e = Assert.Throws<DataFormatException>(() => DatasetFiles.Load(path));
        Assert.Contains("arr.jsonl: row 2 (line 2)", e.Message);
        Assert.Contains("an array", e.Message);
    }

    [Fact]
    public void JsonObjectHoldingDataArray()
    {
        var path = Write("wrapped.json", "{\"version\": 1, \"data\": [{\"q\": \"a\"}, {\"q\": \"b\"}]}");
        Assert.Equal(2, DatasetFiles.Load(path).Count);
    }

    [Fact]
    public void JsonSyntaxErrorNamesLine()
    {
        var path = Write("broken.json", "[\n {\"a\": 1},\n {\"a\": }\n]");
        var e = Assert.Throws<DataFormatException>(() => DatasetFiles.Load(path));
        Assert.Contains("broken.json:3", e.Message);
    }

    [Fact]
    public void JsonlInDotJsonIsSniffed()
    {
        var path = Write("lines.json", "{\"a\": 1}\n{\"a\": 2}\n");
        Assert.Equal(2, DatasetFiles.Load(path).Count);
    }

    [Fact]
    public void TextLinesAndDocuments()
    {
        var path = Write("corpus.txt", "first line\n\nsecond line\n");
        Assert.Equal(2, DatasetFiles.Load(path).Count);
        var folder = Path.Combine(_dir, "docs");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "a.txt"), "doc a\nmore");
        File.WriteAllText(Path.Combine(folder, "b.txt"), "doc b");
        var docs = DatasetFiles.Load(folder, DatasetFileFormat.TextDocument);
        Assert.Equal(2, docs.Count);
        Assert.Equal("doc a\nmore", docs.GetString(0, "text"));
    }

    [Fact]
    public void MissingFileAndUnknownExtension()
    {
        Assert.Contains("file not found", Assert.Throws<DataFormatException>(() => DatasetFiles.Load(Path.Combine(_dir, "nope.json"))).Message);
        var path = Write("data.xyz", "x");
        Assert.Contains("extension", Assert.Throws<DataFormatException>(() => DatasetFiles.Load(path)).Message);
    }
}
