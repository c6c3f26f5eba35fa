// `tunesharp data preview --json | stats | convert` on the golden data fixtures: the command-line contract of issue 16.
using System.Text.Json.Nodes;
using TuneSharp.Testing;

namespace TuneSharp.Cli.Tests;

[Collection("cli")]
public sealed class DataCommandTests : IDisposable
{
    private readonly string _dir = CliRunner.TempDir("cli-data");

    public void Dispose() => Directory.Delete(_dir, true);

    private static string Golden(params string[] p) => Path.Combine([SharedAssets.RepoRoot, "tests", "golden", "data", .. p]);

    [Fact]
    public void PreviewJsonPrintsTheCollatorLabelsForEveryRow()
    {
        // The multi-turn llama3 case of the TRL fixture, written as a text dataset.
        var cases = JsonNode.Parse(File.ReadAllText(Golden("response_marker_expected.json")))!.AsArray();
        var c = cases.First(x => x!["name"]!.GetValue<string>() == "multi_turn_llama3")!;
        var data = Path.Combine(_dir, "dialogs.jsonl");
        File.WriteAllLines(data, c["rows"]!.AsArray().Select(r => new JsonObject { ["text"] = r!["text"]!.GetValue<string>() }.ToJsonString()));
        var (code, stdout, stderr) = CliRunner.Run("data", "preview", "--data", data, "--format", "text", "--tokenizer", SharedAssets.Require("tokenizers/llama3"),
            "--response-template", "### Assistant:", "--instruction-template", "### Human:", "--json");
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(c["rows"]!.AsArray().Count, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            var row = JsonNode.Parse(lines[i])!;
            var expected = c["rows"]![i]!;
            // Train appends EOS to text rows; the collator's labels hold for every id before it.
            var ids = row["input_ids"]!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
            var labels = row["labels"]!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
            var expectedIds = expected["input_ids"]!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
            Assert.Equal(expectedIds, ids[..expectedIds.Length]);
            Assert.Equal(expected["labels"]!.AsArray().Select(x => x!.GetValue<int>()), labels[..expectedIds.Length]);
        }
        Assert.Contains("could not find the response marker", stderr);
        Assert.Contains("dialogs.jsonl: row 4", stderr);
    }

    [Fact]
    public void StatsWritesAHistogramAndConvertWritesParquet()
    {
        var png = Path.Combine(_dir, "len.png");
        var (code, stdout, stderr) = CliRunner.Run("data", "stats", "--data", Golden("hf_hub"), "--tokenizer", SharedAssets.Require("tokenizers/llama3"),
            "--max-seq-length", "60", "--plot", png);
        Assert.True(code == 0, stderr);
        Assert.Contains("rows                7", stdout);
        Assert.Contains("exceed max_seq_length 60", stdout);
        Assert.True(new FileInfo(png).Length > 5000);

        var parquet = Path.Combine(_dir, "train.parquet");
        (code, stdout, stderr) = CliRunner.Run("data", "convert", "-i", Golden("hf_disk"), "-o", parquet);
        Assert.True(code == 0, stderr);
        Assert.Contains("7 rows", stdout);
        (code, stdout, stderr) = CliRunner.Run("data", "convert", "glossary", "-i", Golden("seeds", "glossary_kor_eng.jsonl"), "-i", Golden("seeds", "glossary.csv"), "-o", Path.Combine(_dir, "g.parquet"));
        Assert.True(code == 0, stderr);
        Assert.Contains("11 rows", stdout);
        Assert.Contains("glossary_kor_eng.jsonl: row 3", stderr);
    }
}
