// `predict` on the real TinyStories-656K: continuous batching equals one-by-one generation (greedy and seeded sampling),
// resuming after a torn partial output, stop strings, and the CLI contract.
using System.Text.Json.Nodes;
using TuneSharp.Evaluation.Prediction;
using TuneSharp.Evaluation.Tests.Cli;
using TuneSharp.Inference;
using TuneSharp.Testing;

namespace TuneSharp.Evaluation.Tests.Prediction;

[Collection("Console")]
public sealed class BatchPredictorTests : IDisposable
{
    private static readonly Lazy<Generator> Gen = new(() => Generator.FromPretrained(ModelDir));
    private static string ModelDir => SharedAssets.Require("models/tinystories-656k");

    // Prompts of different lengths, so rows finish and join at different steps.
    private static readonly string[] Prompts =
    [
        "Once upon a time", "Tom had a red ball. One day", "The cat", "Lily wanted to go to the park with her mom, but it was raining. She",
        "There was a big tree", "Sam and Mia found a box", "The sun was hot and the dog", "A little bird sang", "Ben liked to",
    ];

    private readonly string _dir = Directory.CreateTempSubdirectory("ts-predict-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteInput()
    {
        var path = Path.Combine(_dir, "test.jsonl");
        File.WriteAllLines(path, Prompts.Select((p, i) => new JsonObject { ["id"] = $"q{i}", ["prompt"] = p, ["reference"] = "Once upon a time" }.ToJsonString()));
        return path;
    }

    private static BatchPredictor Predictor(int batch, GenerationOptions g) =>
        new(Gen.Value, new PromptBuilder(Gen.Value.Tokenizer, Gen.Value.ChatTemplate), new PredictOptions { BatchSize = batch, Generation = g });

    [Fact]
    public async Task ContinuousBatchingEqualsOneByOne_GreedyAndSeededSampling()
    {
        var input = WriteInput();
        foreach (var g in new[]
                 {
                     new GenerationOptions { MaxNewTokens = 20, Adapter = null },
                     new GenerationOptions { MaxNewTokens = 20, Adapter = null, Temperature = 0.9f, TopP = 0.95f, Seed = 11 },
                     // Rows end at their first full stop: they leave at different steps and waiting rows join a running batch.
                     new GenerationOptions { MaxNewTokens = 20, Adapter = null, StopStrings = ["."] },
                 })
        {
            var batched = Predictor(4, g);
            var rows = batched.ReadInput(input);
            var got = await batched.PredictAllAsync(rows);
            Assert.Equal(rows.Count, got.Count);
            for (int i = 0; i < rows.Count; i++)
            {
                // One by one through the plain Generator, with row i's seed (seed + i).
                var alone = Gen.Value.Generate(rows[i].PromptIds, g with { Seed = g.Seed is { } s ? s + i : null });
                Assert.True(alone.Text == got[i].Prediction, $"T={g.Temperature} row {i}: batched \"{got[i].Prediction}\" vs alone \"{alone.Text}\"");
                Assert.Equal(alone.GeneratedIds.Length, got[i].CompletionTokens);
            }
            if (g.StopStrings.Count > 0) Assert.True(got.Select(r => r.CompletionTokens).Distinct().Count() > 2, "rows should finish at different steps");
            var single = await Predictor(1, g).PredictAllAsync(rows);
            Assert.Equal(single.Select(r => r.Prediction), got.Select(r => r.Prediction));
        }
    }

    [Fact]
    public async Task ResumesAfterATornPartialOutput()
    {
        var input = WriteInput();
        var g = new GenerationOptions { MaxNewTokens = 12, Adapter = null, Temperature = 0.8f, Seed = 3 };
        var full = Path.Combine(_dir, "full.jsonl");
        var s1 = await Predictor(3, g).RunAsync(input, full);
        Assert.True(s1.Completed);
        Assert.Equal(Prompts.Length, s1.Generated);
        var lines = File.ReadAllLines(full);
        Assert.Equal(Enumerable.Range(0, Prompts.Length), lines.Select(l => JsonNode.Parse(l)!["index"]!.GetValue<int>()));

        // A run killed mid-write: two finished rows (out of order) and half a line.
        var partial = Path.Combine(_dir, "partial.jsonl");
        File.WriteAllText(partial, lines[4] + "\n" + lines[1] + "\n" + lines[6][..(lines[6].Length / 2)]);
        var s2 = await Predictor(5, g).RunAsync(input, partial);
        Assert.Equal(2, s2.Skipped);
        Assert.Equal(Prompts.Length - 2, s2.Generated);
        Assert.Equal(lines, File.ReadAllLines(partial));

        // Everything done: nothing is generated again.
        var s3 = await Predictor(5, g).RunAsync(input, partial);
        Assert.Equal(0, s3.Generated);
        Assert.Equal(lines, File.ReadAllLines(partial));
    }

    [Fact]
    public async Task StopStringsCutThePrediction()
    {
        var input = WriteInput();
        var g = new GenerationOptions { MaxNewTokens = 24, Adapter = null };
        var predictor = Predictor(4, g);
        var rows = predictor.ReadInput(input);
        var plain = await predictor.PredictAllAsync(rows);
        // A stop string taken from the middle of row 0's greedy answer.
        var text0 = plain[0].Prediction;
        int at = text0.IndexOf(' ', text0.Length / 3);
        Assert.True(at > 0, text0);
        string stop = text0.Substring(at, Math.Min(4, text0.Length - at));
        var cut = await Predictor(4, g with { StopStrings = [stop] }).PredictAllAsync(rows);
        for (int i = 0; i < rows.Count; i++)
        {
            int k = plain[i].Prediction.IndexOf(stop, StringComparison.Ordinal);
            if (k >= 0)
            {
                Assert.Equal(plain[i].Prediction[..k], cut[i].Prediction);
                Assert.Equal(FinishReason.StopString, cut[i].FinishReason);
            }
            else Assert.Equal(plain[i].Prediction, cut[i].Prediction);
        }
        Assert.Equal(text0[..text0.IndexOf(stop, StringComparison.Ordinal)], cut[0].Prediction);
    }

    [Fact]
    public void Cli_WritesRowsEvalReads_AndResumes()
    {
        var input = WriteInput();
        var output = Path.Combine(_dir, "preds.jsonl");
        string[] args = ["predict", "--model", ModelDir, "--input", input, "--output", output, "--batch-size", "4", "--max-new-tokens", "10", "--stop", ".", "--seed", "1"];
        var (code, stdout, stderr) = CliRun.Run(args);
        Assert.True(code == 0, stderr);
        Assert.Contains($"{Prompts.Length} rows predicted, 0 resumed", stdout);
        Assert.Contains("ETA", stderr);
        var rows = PredictionReader.ReadJsonl(output);
        Assert.Equal(Prompts.Length, rows.Count);
        Assert.All(rows, r => Assert.DoesNotContain(".", r.Prediction));
        Assert.Equal("q3", rows[3].Id);
        Assert.Equal(Prompts[3], rows[3].Question);
        Assert.Equal(["Once upon a time"], rows[3].References);

        var again = CliRun.Run(args);
        Assert.Equal(0, again.Code);
        Assert.Contains($"0 rows predicted, {Prompts.Length} resumed", again.Out);

        var bad = CliRun.Run(["predict", "--model", ModelDir, "--input", Path.Combine(_dir, "missing.jsonl"), "--output", output]);
        Assert.Equal((int)ExitCode.InputFormat, bad.Code);
        Assert.Contains("missing.jsonl: input file not found", bad.Err);
    }
}
