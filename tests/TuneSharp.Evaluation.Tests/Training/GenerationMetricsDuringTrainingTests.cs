// eval_generation_metrics during training on the real TinyStories-656K: rougeL / accuracy / semscore logged as eval_NAME
// in metrics.jsonl, metric_for_best_model eval_rougeL picks the best, early stopping watches it, bad settings are errors.
using System.Text.Json.Nodes;
using TuneSharp.Evaluation.Tests.Encoders;
using TuneSharp.Testing;
using TuneSharp.Training;
using TuneSharp.Training.Config;
using TuneSharp.Training.Runs;

namespace TuneSharp.Evaluation.Tests.Training;

public sealed class GenerationMetricsDuringTrainingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ts-genmetrics-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Data()
    {
        var path = Path.Combine(_dir, "qa.jsonl");
        // One answer to several phrasings of a question: a 656K model learns it within a dozen steps.
        string[] asks = ["Where is the ball?", "Where did Tom put the ball?", "Where can Lily find the ball?", "Tell me where the ball is."];
        File.WriteAllLines(path, asks.Select(q => new JsonObject { ["prompt"] = q + " Answer:", ["completion"] = " The ball is under the big tree." }.ToJsonString()));
        return path;
    }

    private RunConfig Config(params string[] overrides)
    {
        var data = Data();
        return RunConfig.FromOverrides(
        [
            $"model.name_or_path={SharedAssets.Require("models/tinystories-656k")}", $"dataset.path={data}", $"dataset.eval_path={data}",
            "dataset.format=completion", $"training.output_dir={Path.Combine(_dir, "out")}", "training.report_to=[jsonl]",
            "training.per_device_train_batch_size=4", "training.per_device_eval_batch_size=4", "training.learning_rate=2e-2",
            "training.max_steps=12", "training.logging_steps=4", "training.eval_strategy=steps", "training.eval_steps=4",
            "training.save_strategy=no", "lora.r=8", "lora.lora_alpha=16",
            "training.eval_generation_max_new_tokens=8", "training.eval_generation_samples=3", .. overrides,
        ]);
    }

    private List<JsonObject> EvalEntries() => File.ReadAllLines(Path.Combine(_dir, "out", "metrics.jsonl"))
        .Select(l => JsonNode.Parse(l)!.AsObject()).Where(o => o.ContainsKey("eval_loss")).ToList();

    [Fact]
    public void MetricsAreLoggedAndPickTheBestModel()
    {
        using var run = FineTuneRun.FromConfig(Config("training.eval_generation_metrics=[rougeL, accuracy, semscore]",
            $"training.eval_embedding_model={MiniLmFixture.Folder}", "training.metric_for_best_model=eval_rougeL"));
        var log = new StringWriter();
        run.Trainer.Progress = new TuneSharp.Training.Tracking.ConsoleProgress(log);
        run.Train();
        var evals = EvalEntries();
        Assert.Equal([4, 8, 12], evals.Select(e => e["step"]!.GetValue<int>()));
        foreach (var key in new[] { "eval_rougeL", "eval_accuracy", "eval_semscore" })
            Assert.All(evals, e => Assert.True(e[key] is JsonValue v && Math.Abs(v.GetValue<double>()) <= 1 + 1e-9, $"{key}: {e.ToJsonString()}"));
        var rouge = evals.Select(e => e["eval_rougeL"]!.GetValue<double>()).ToList();
        // The answers are learnt: ROUGE-L of the greedy answers rises (the base model knows none of them).
        Assert.True(rouge[^1] > rouge[0] && rouge[^1] > 0.5, $"eval_rougeL {string.Join(", ", rouge)}\n{log}");
        Assert.Equal(rouge.Max(), run.Trainer.State.BestMetric);
        Assert.Contains("eval_rougeL", log.ToString());
        var predictions = run.Trainer.GenerationEvaluator!.LastPredictions;
        Assert.Equal(3, predictions.Count);
    }

    [Fact]
    public void EarlyStoppingWatchesTheGenerationMetric()
    {
        // No ROUGE-L gain can exceed 2, so patience 1 stops at the second evaluation.
        using var run = FineTuneRun.FromConfig(Config("training.eval_generation_metrics=[rougeL]", "training.metric_for_best_model=rougeL",
            "training.greater_is_better=true", "training.early_stopping_patience=1", "training.early_stopping_threshold=2"));
        run.Trainer.Progress = new TuneSharp.Training.Tracking.ConsoleProgress(new StringWriter());
        run.Train();
        Assert.Equal(8, run.Trainer.State.GlobalStep);
        Assert.Equal(2, EvalEntries().Count);
    }

    [Fact]
    public void BadSettingsAreConfigErrors()
    {
        Assert.Contains("eval_generation_metrics", Assert.Throws<ConfigException>(() => FineTuneRun.FromConfig(Config("training.metric_for_best_model=eval_rougeL"))).Message);
        Assert.Contains("eval_embedding_model", Assert.Throws<ConfigException>(() => FineTuneRun.FromConfig(Config("training.eval_generation_metrics=[semscore]"))).Message);
        Assert.Contains("judge", Assert.Throws<ConfigException>(() => FineTuneRun.FromConfig(Config("training.eval_generation_metrics=[judge]"))).Message);
        Assert.Contains("unknown metric", Assert.Throws<ConfigException>(() => FineTuneRun.FromConfig(Config("training.eval_generation_metrics=[rouge3]"))).Message);
    }
}
