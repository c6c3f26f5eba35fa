// Issue 14: rows are named one way everywhere ("data.jsonl: row 3 (line 4)", 1-based); a UTF-8 BOM is accepted and invalid UTF-8 is refused with its position.
using System.Text;
using System.Text.Json.Nodes;
using TuneSharp.Data.Formatting;
using TuneSharp.Data.Loading;
using TuneSharp.Testing;
using TuneSharp.Tokenizers;

namespace TuneSharp.Data.Tests;

public sealed class InputTextHardeningTests : IDisposable
{
    private static readonly Lazy<Tokenizer> TinyStories = new(() => Tokenizer.FromPretrained(SharedAssets.Require("models/tinystories-656k")));
    private readonly string _dir = Directory.CreateTempSubdirectory("tunesharp-text-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    private string Write(string name, string content) => Write(name, Encoding.UTF8.GetBytes(content));

    private static PromptFormatter Alpaca() => new(TinyStories.Value, new PromptFormatOptions { Kind = PromptFormatKind.Alpaca });

    [Fact]
    public void JsonlSyntaxErrorNamesRowAndLineOneBased()
    {
        // A blank line makes the third row the fourth line.
        var path = Write("data.jsonl", "{\"instruction\":\"a\",\"output\":\"b\"}\n\n{\"instruction\":\"c\",\"output\":\"d\"}\n{\"instruction\": x}\n");
        var e = Assert.Throws<DataFormatException>(() => DatasetFiles.Load(path));
        Assert.StartsWith($"{path}: row 3 (line 4): invalid JSON", e.Message);
        Assert.DoesNotContain("LineNumber: 0", e.Message);
        Assert.Equal(3, e.Row);
        Assert.Equal(4, e.Line);
    }

    [Fact]
    public void MissingFieldNamesTheRowFirstInBothLoadPaths()
    {
        var path = Write("data.jsonl", "{\"instruction\":\"a\",\"output\":\"b\"}\n{\"instruction\":\"c\",\"output\":\"d\"}\n{\"instruction\":\"e\"}\n");
        // In memory (train) …
        var inMemory = Assert.Throws<DataFormatException>(() => Alpaca().FormatAll(DatasetFiles.Load(path)));
        Assert.StartsWith($"{path}: row 3: the alpaca format needs the field 'output'", inMemory.Message);
        // … and streamed (data preview / stats): the same words.
        var streamed = Assert.Throws<DataFormatException>(() =>
            Alpaca().FormatStream(DatasetFiles.Stream([path]), new TuneSharp.Data.Tokenizers.TokenizerCoverage(TinyStories.Value)).ToList());
        Assert.Equal(inMemory.Message, streamed.Message);
    }

    [Fact]
    public void CsvAndJsonRowsCountFromOne()
    {
        var csv = Write("d.csv", "instruction,output\na,b\nc\n");
        var e = Assert.Throws<DataFormatException>(() => DatasetFiles.Load(csv));
        Assert.StartsWith($"{csv}: row 2 (line 3): row has 1 fields", e.Message);

        var json = Write("d.json", "[{\"instruction\":\"a\",\"output\":\"b\"},{\"instruction\":\"e\"}]");
        var f = Assert.Throws<DataFormatException>(() => Alpaca().FormatAll(DatasetFiles.Load(json)));
        Assert.StartsWith($"{json}: row 2: ", f.Message);
    }

    [Fact]
    public void MissingColumnNamesFileAndOneBasedRow()
    {
        var path = Write("q.jsonl", "{\"q\":\"a\"}\n{\"x\":\"b\"}\n");
        var e = Assert.Throws<DataFormatException>(() => DatasetFiles.Load(path).GetString(1, "q"));
        Assert.StartsWith($"{path}: row 2: no column 'q'", e.Message);
    }

    [Theory]
    [InlineData("bom.json", "[{\"text\":\"가\"},{\"text\":\"b\"}]")]
    [InlineData("bom.jsonl", "{\"text\":\"가\"}\n{\"text\":\"b\"}\n")]
    [InlineData("bom-lines.json", "{\"text\":\"가\"}\n{\"text\":\"b\"}\n")]
    public void Utf8BomAtTheStartIsSkipped(string name, string content)
    {
        var path = Write(name, [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(content)]);
        var ds = DatasetFiles.Load(path);
        Assert.Equal(2, ds.Count);
        Assert.Equal(["text"], ds.Columns);
        Assert.Equal("가", ds.GetString(0, "text"));
    }

    [Theory]
    [InlineData("bad.jsonl")]
    [InlineData("bad.json")]
    [InlineData("bad.csv")]
    public void InvalidUtf8IsAnErrorWithFileLineAndByteOffset(string name)
    {
        // Line 2 holds 0xC0 0xAF (an overlong '/'), at byte offset 16 + 10 = 26 … counted below.
        byte[] head = Encoding.UTF8.GetBytes(name.EndsWith(".csv") ? "text,output\n" : name.EndsWith(".jsonl") ? "{\"text\":\"ok\"}\n" : "[{\"text\":\"ok\"},\n");
        byte[] line2 = [.. Encoding.UTF8.GetBytes(name.EndsWith(".csv") ? "ab" : "{\"text\":\"ab"), 0xC0, 0xAF];
        byte[] tail = Encoding.UTF8.GetBytes(name.EndsWith(".csv") ? ",x\n" : name.EndsWith(".jsonl") ? "\"}\n" : "\"}]\n");
        var path = Write(name, [.. head, .. line2, .. tail]);
        var e = Assert.Throws<DataFormatException>(() => DatasetFiles.Load(path));
        Assert.StartsWith($"{path}:2: ", e.Message);
        Assert.Contains("is not valid UTF-8", e.Message);
        Assert.Contains($"line 2, column {line2.Length - 1}", e.Message);
        Assert.Contains($"byte offset {head.Length + line2.Length - 2}", e.Message);
    }
}
