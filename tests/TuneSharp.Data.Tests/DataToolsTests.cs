// Tokenizer coverage, pad token and padding side, statistics and the Parquet/JSONL writers.
using System.Text.Json.Nodes;
using TuneSharp.Data.Formatting;
using TuneSharp.Data.Loading;
using TuneSharp.Data.Statistics;
using TuneSharp.Data.Tokenizers;
using TuneSharp.Data.Writing;
using TuneSharp.Testing;
using TuneSharp.Tokenizers;

namespace TuneSharp.Data.Tests;

public sealed class DataToolsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tunesharp-tools-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Tokenizer TinyStories() => Tokenizer.FromPretrained(SharedAssets.Require("tokenizers/tinystories-656k"));

    [Fact]
    public void CoverageCountsUnknownCharactersPerFileWithTopOffenders()
    {
        var tok = TinyStories();
        var a = new Dataset([new JsonObject { ["text"] = "Lily said {hi} # and ## ok" }, new JsonObject { ["text"] = "plain words" }], "a.jsonl");
        var b = new Dataset([new JsonObject { ["text"] = "no problem here" }], "b.jsonl");
        var warnings = new List<string>();
        var formatted = new PromptFormatter(tok, new PromptFormatOptions { Kind = PromptFormatKind.Text }).FormatAll(Dataset.Concatenate(a, b), warnings.Add);
        var cov = formatted.Coverage!;
        var fa = cov.Files.Single(f => f.File == "a.jsonl");
        Assert.Equal(5, fa.UnknownCharacters);
        Assert.Equal([("#", 3L), ("{", 1L)], fa.TopOffenders(2));
        Assert.Equal([1L], fa.UnknownRows);
        Assert.Equal(0, cov.Files.Single(f => f.File == "b.jsonl").UnknownCharacters);
        var w = Assert.Single(warnings);
        Assert.Contains("a.jsonl: 5 of", w);
        Assert.Contains("'#' (U+0023) ×3", w);
        Assert.DoesNotContain("b.jsonl", w);
        // Byte-level vocabularies never produce <unk>: no report.
        var llama = Tokenizer.FromPretrained(SharedAssets.Require("tokenizers/llama3"));
        var quiet = new List<string>();
        new PromptFormatter(llama, new PromptFormatOptions { Kind = PromptFormatKind.Text }).FormatAll(a, quiet.Add);
        Assert.Empty(quiet);
    }

    [Fact]
    public void PadTokenOutsideTheVocabularyIsAnErrorAndPaddingSideIsHonoured()
    {
        var tok = Tokenizer.FromPretrained(SharedAssets.Require("tokenizers/llama3"));
        var e = Assert.Throws<DataFormatException>(() => PadTokenSetting.Apply(tok, "<|reserved_special_token_999|>"));
        Assert.Contains("not in the vocabulary", e.Message);
        Assert.Contains("tokenizer.pad_token", e.Message);
        int pad = PadTokenSetting.Apply(tok, "<|reserved_special_token_250|>");
        Assert.Equal(tok.TokenToId("<|reserved_special_token_250|>"), pad);
        Assert.Throws<DataFormatException>(() => PadTokenSetting.Apply(tok, null, modelVocabSize: 1000));
        Assert.Throws<DataFormatException>(() => PadTokenSetting.ParseSide("middle"));

        var rows = new[] { FormattedExample.Create([1, 2, 3], [-100, 2, 3]), FormattedExample.Create([4], [4]) };
        var right = PadTokenSetting.Pad(rows, pad, PadTokenSetting.ParseSide("right"));
        Assert.Equal([1, 2, 3, 4, pad, pad], right.InputIds);
        Assert.Equal([-100, 2, 3, 4, -100, -100], right.Labels);
        Assert.Equal([1, 1, 1, 1, 0, 0], right.AttentionMask);
        var left = PadTokenSetting.Pad(rows, pad, PadTokenSetting.ParseSide("left"));
        Assert.Equal([1, 2, 3, pad, pad, 4], left.InputIds);
        Assert.Equal([-100, 2, 3, -100, -100, 4], left.Labels);
        Assert.Equal([1, 1, 1, 0, 0, 1], left.AttentionMask);
    }

    [Fact]
    public void StatisticsCountLengthsTruncationDuplicatesAndScripts()
    {
        var tok = TinyStories();
        var rows = new List<JsonObject>();
        for (int i = 1; i <= 20; i++) rows.Add(new JsonObject { ["text"] = string.Join(" ", Enumerable.Repeat("cat", i)) });
        rows.Add(new JsonObject { ["text"] = "cat" });            // duplicate of row 1
        rows.Add(new JsonObject { ["text"] = "방이 너무 좁아요" });
        rows.Add(new JsonObject { ["text"] = "선하증권 Bill of Lading 서류" });
        var formatter = new PromptFormatter(tok, new PromptFormatOptions { Kind = PromptFormatKind.Text, MaxSeqLength = 8 });
        var builder = new DatasetStatisticsBuilder(8);
        var coverage = new TokenizerCoverage(tok);
        foreach (var s in formatter.FormatStream(rows.Select((r, i) => ("t.jsonl", (long)i + 1, r)), coverage, both: true))
            builder.Add(s.Value, s.Untruncated, s.Example);
        var stats = builder.Build(coverage.UnknownCharacters);
        Assert.Equal(23, stats.Rows);
        Assert.Equal(1, stats.DuplicateRows);
        Assert.Equal(22, stats.Languages["Latin"]); // the mixed row has more Latin letters
        Assert.Equal(1, stats.Languages["Korean"]);
        Assert.Equal(1, stats.MixedScriptRows);
        Assert.Equal(stats.TokenLengths.Count(l => l > 8), stats.TruncatedRows);
        Assert.True(stats.TruncatedRows > 5);
        Assert.True(stats.TotalTokens > stats.TrainedTokens); // trained counts after truncation
        var sorted = stats.TokenLengths.Order().ToArray();
        Assert.Equal(sorted[11], stats.Percentile(50));      // odd count: the middle value
        Assert.Equal(sorted[^1], stats.Percentile(100));
        Assert.Contains("duplicates          1 rows", stats.ToText());
        var png = Path.Combine(_dir, "lengths.png");
        LengthHistogram.Save(stats, png, "t.jsonl");
        var bytes = File.ReadAllBytes(png);
        Assert.True(bytes.Length > 5000);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
    }

    [Fact]
    public void ParquetWriterRoundTripsNestedRowsAndStreamsEqualTheLoadedDataset()
    {
        var rows = DatasetFiles.StreamFile(GoldenData.Path("chat.arrow")).ToList();
        var path = Path.Combine(_dir, "out.parquet");
        DatasetWriter.Write(path, rows);
        var back = DatasetFiles.StreamFile(path).ToList();
        Assert.Equal(rows.Count, back.Count);
        for (int i = 0; i < rows.Count; i++) Assert.True(JsonNode.DeepEquals(rows[i], back[i]), $"row {i}: {rows[i].ToJsonString()} vs {back[i].ToJsonString()}");
        var jsonl = Path.Combine(_dir, "out.jsonl");
        DatasetWriter.Write(jsonl, back);
        Assert.Equal(rows.Count, DatasetFiles.Load(jsonl).Count);
        Assert.Throws<DataFormatException>(() => DatasetWriter.Write(Path.Combine(_dir, "out.xlsx"), rows));
    }

    [Fact]
    public void StreamedFormattingGivesTheIdsOfTheInMemoryPathTrainUses()
    {
        var tok = TinyStories();
        var dir = GoldenData.Path("hf_disk");
        var formatter = new PromptFormatter(tok, new PromptFormatOptions { Kind = PromptFormatKind.Alpaca, MaxSeqLength = 40 });
        var trained = formatter.FormatAll(DatasetFiles.LoadSplit([dir], "train"));
        var streamed = formatter.FormatStream(DatasetFiles.StreamSplit([dir], "train"), new TokenizerCoverage(tok)).ToList();
        Assert.Equal(trained.Count, streamed.Count);
        for (int i = 0; i < streamed.Count; i++)
        {
            Assert.Equal(trained.Examples[i].InputIds, streamed[i].Example.InputIds);
            Assert.Equal(trained.Examples[i].Labels, streamed[i].Example.Labels);
        }
        Assert.EndsWith("data-00001-of-00002.arrow", streamed[^1].File);
        Assert.Equal(3, streamed[^1].Row);
    }
}
