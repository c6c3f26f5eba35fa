// Base-vs-tuned evaluation end to end in the library: eval.yaml → metrics, SemScore, judge → report.json/md, items.csv, PNGs; compare; bad input.
using System.Text.Json.Nodes;
using TuneSharp.Evaluation.Reports;
using TuneSharp.Models.Encoders;

namespace TuneSharp.Evaluation.Tests.Reports;

public sealed class EvaluationReportTests
{
    private static readonly byte[] PngMagic = [0x89, (byte)'P', (byte)'N', (byte)'G'];

    [Fact]
    public async Task SeedStyleBaseVsTunedWritesReportAndPlots()
    {
        using var seed = new SeedEvaluation();
        var cfg = EvalConfig.Load(seed.WriteYaml());
        var report = await cfg.RunAsync(environment: name => name == "TS_TEST_JUDGE_KEY" ? "sk-yaml-secret" : null);
        var (b, t) = (report.Models[0], report.Models[1]);
        Assert.Equal(["base", "tuned"], report.Models.Select(m => m.Name));
        // Tuned answers are right on 6 of 8 rows exactly (two add words), base on none.
        Assert.Equal(0.0, b.Metrics["accuracy"]);
        Assert.Equal(6.0 / 8, t.Metrics["accuracy"], 12);
        Assert.True(t.Metrics["rougeL"] > b.Metrics["rougeL"] + 0.5);
        Assert.True(t.Metrics["semscore"] > b.Metrics["semscore"]);
        Assert.Equal(1.0, t.Items[0]["semscore"]!.Value, 5); // identical text → cosine 1
        Assert.True(t.Metrics["judge_mean"] > 4.5 && b.Metrics["judge_mean"] < 2.5);
        Assert.Equal(8, t.Judge!.Scored);

        var dir = cfg.OutputDir!;
        foreach (var f in new[] { "report.json", "report.md", "items.csv", "metrics.png", "judge_scores.png", "semscore.png" })
            Assert.True(File.Exists(Path.Combine(dir, f)), f);
        foreach (var png in Directory.EnumerateFiles(dir, "*.png"))
            Assert.Equal(PngMagic, File.ReadAllBytes(png)[..4]);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "report.json")))!;
        Assert.Equal(0.75, json["models"]![1]!["metrics"]!["accuracy"]!.GetValue<double>());
        Assert.Equal(8, json["models"]![1]!["metrics"]!["judge"]!["histogram"]!["5"]!.GetValue<int>() + json["models"]![1]!["metrics"]!["judge"]!["histogram"]!["3"]!.GetValue<int>());
        var md = File.ReadAllText(Path.Combine(dir, "report.md"));
        Assert.Contains("| accuracy | 0.0000 | 0.7500 | +0.7500 |", md);
        Assert.Contains("![metrics](metrics.png)", md);
        var csv = File.ReadAllLines(Path.Combine(dir, "items.csv"));
        Assert.Equal(1 + 16, csv.Length);
        Assert.StartsWith("model,index,id,question,prediction,reference,accuracy,rougeL,semscore,judge,judge_reply", csv[0]);
        foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
            Assert.DoesNotContain("sk-yaml-secret", File.ReadAllText(f));

        // Rerun: every judgment comes from the cache (resume), no new request reaches the endpoint.
        int before = seed.Judge.Requests;
        var again = await (cfg with { Metrics = ["judge"] }).RunAsync(environment: _ => null);
        Assert.Equal(before, seed.Judge.Requests);
        Assert.Equal(8, again.Models[1].Judge!.CacheHits);

        // Compare: the same report against itself, and base vs tuned as two one-model reports.
        var rows = ReportComparer.Compare(Path.Combine(dir, "report.json"), Path.Combine(dir, "report.json"));
        Assert.All(rows, r => Assert.Equal(0.0, r.Delta));
        Assert.Contains("judge_mean", ReportComparer.Format(rows, "a", "b"));
    }

    [Fact]
    public async Task PairwiseJudgeComparesTheTwoModels()
    {
        using var seed = new SeedEvaluation();
        var cfg = EvalConfig.Load(seed.WriteYaml("[judge]", "  mode: pairwise"));
        // The fake judge above only knows the pointwise format; pairwise replies hold no [[A]]/[[B]] → all unparsable, not fatal.
        var report = await cfg.RunAsync(environment: _ => null);
        Assert.NotNull(report.Pairwise);
        Assert.Equal(8, report.Pairwise!.Unparsable);
        Assert.True(File.Exists(Path.Combine(cfg.OutputDir!, "report.md")));
    }

    [Fact]
    public async Task MissingReferencesAreAClearError()
    {
        using var seed = new SeedEvaluation();
        File.AppendAllText(seed.BasePath, "{\"prediction\": \"x\"}\n");
        var cfg = EvalConfig.Load(seed.WriteYaml("[accuracy]"));
        var e = await Assert.ThrowsAsync<EvaluationInputException>(() => cfg.RunAsync());
        Assert.Contains("1 of 9 rows have no \"reference\" (rows 9)", e.Message);
        Assert.Contains("base.jsonl", e.Message);
    }

    [Fact]
    public void ConfigErrorsNameTheKey()
    {
        using var seed = new SeedEvaluation();
        var yaml = seed.WriteYaml();
        File.WriteAllText(yaml, File.ReadAllText(yaml).Replace("api_key_env: TS_TEST_JUDGE_KEY", "api_key: sk-oops"));
        var e = Assert.Throws<EvaluationInputException>(() => EvalConfig.Load(yaml));
        Assert.Contains("api_key_env", e.Message);
        Assert.DoesNotContain("sk-oops", e.Message);
        Assert.Equal(ExitCode.Config, e.ExitCode);
        File.WriteAllText(yaml, "metrics: [accuracy]\nmodels: []\nbogus: 1\n");
        Assert.Contains("unknown key \"bogus\"", Assert.Throws<EvaluationInputException>(() => EvalConfig.Load(yaml)).Message);
        Assert.Contains("unknown metric \"bleurt\"", Assert.Throws<EvaluationInputException>(() => MetricNames.Parse("bleu,bleurt")).Message);
    }

    [Fact]
    public async Task EmptyPredictionsAndEmptyReferencesScoreWithoutErrors()
    {
        var rows = new[] { new PredictionRow(0, "", "Free On Board"), new PredictionRow(1, "Free On Board", ""), new PredictionRow(2, "", "") };
        var opts = new EvaluationOptions { Metrics = MetricNames.Parse("exact_match,accuracy,f1,rouge1,rouge2,rougeL,bleu,chrf,chrf++") };
        var m = await new EvaluationRunner(opts).EvaluateAsync("m", rows);
        // EM/F1: only the both-empty row matches (SQuAD v2); ROUGE: 0 whenever a side has no tokens; BLEU/chrF: 0.
        Assert.Equal(1.0 / 3, m.Metrics["exact_match"], 12);
        Assert.Equal(1.0 / 3, m.Metrics["f1"], 12);
        Assert.Equal(0.0, m.Metrics["rougeL"]);
        Assert.Equal(0.0, m.Metrics["bleu"]);
        Assert.Equal(0.0, m.Metrics["chrf"]);
    }

    [Fact]
    public void SemScoreNeedsAnEncoder()
    {
        var e = Assert.Throws<EvaluationInputException>(() => new EvalConfig { Metrics = ["semscore"], Models = [("m", "x.jsonl")] }.CreateOptions());
        Assert.Contains("--embedding-model", e.Message);
        Assert.Throws<EncoderLoadException>(() => new EvalConfig { Metrics = ["semscore"], Models = [("m", "x.jsonl")], EmbeddingModel = "/nonexistent" }.CreateOptions());
    }

    [Fact]
    public async Task ExampleConfigRuns()
    {
        // examples/evaluation/eval.yaml, with its output redirected to a temp folder.
        var cfg = EvalConfig.Load(Path.Combine(TuneSharp.Testing.SharedAssets.RepoRoot, "examples", "evaluation", "eval.yaml"));
        var outDir = Path.Combine(Path.GetTempPath(), "ts-example-" + Guid.NewGuid().ToString("N"));
        try
        {
            var report = await (cfg with { OutputDir = outDir }).RunAsync();
            Assert.Equal(0.75, report.Models[1].Metrics["accuracy"], 12);
            Assert.True(report.Models[1].Metrics["chrf++"] > report.Models[0].Metrics["chrf++"]);
            Assert.True(File.Exists(Path.Combine(outDir, "metrics.png")));
        }
        finally { if (Directory.Exists(outDir)) Directory.Delete(outDir, true); }
    }
}
