// Effect tests for training.* keys that reach the optimizer, the schedule, clipping, data order, evaluation and best-model choice (random tiny model, a few steps).
using TuneSharp.Nn.Optim;
using TuneSharp.Training.Config;
using TuneSharp.Training.Sft;

namespace TuneSharp.Training.Tests;

/// <summary>Listed in <see cref="ConfigKeyCoverageTests"/>. Every option is set through a key=value override so the binding is part of what is shown.</summary>
public sealed class TrainerKeyEffectTests
{
    private static TrainingOptions Opts(string dir, params string[] overrides) => RunConfig.FromOverrides(
    [
        $"training.output_dir={dir}", "training.report_to=[]", "training.save_strategy=no", "training.per_device_train_batch_size=2",
        "training.per_device_eval_batch_size=3", "training.max_steps=4", "training.logging_steps=1", "training.max_seq_length=16",
        "training.learning_rate=1e-2", "training.seed=5", "training.overwrite_output_dir=true", .. overrides,
    ]).Training;

    private static SftTrainer Trainer(string dir, params string[] overrides) => TrainerTestUtil.Trainer(Opts(dir, overrides), TrainerTestUtil.Data(10), TrainerTestUtil.Data(4, seed: 5));

    private static double[] LoggedLearningRates(SftTrainer t) =>
        [.. t.State.LogHistory.Where(l => l.ContainsKey("learning_rate")).Select(l => l["learning_rate"]!.GetValue<double>())];

    [Fact]
    public void OptimizerKeysReachTheOptimizer()
    {
        var dir = TrainerTestUtil.TempDir("optkeys");
        try
        {
            var t = Trainer(dir, "training.learning_rate=3e-3", "training.weight_decay=0.05", "training.adam_beta_1=0.8", "training.adam_beta_2=0.95",
                "training.adam_epsilon=1e-6", "training.optim=adamw_8bit");
            var o = t.Optimizer.Options;
            Assert.Equal((3e-3, 0.05, 0.8, 0.95, 1e-6), (o.LearningRate, o.WeightDecay, o.Beta1, o.Beta2, o.Epsilon));
            Assert.IsType<AdamW8bitOptimizer>(t.Optimizer);
            Assert.IsType<AdamWOptimizer>(Trainer(dir, "training.optim=adamw_hf").Optimizer); // HF alias
            Assert.Contains("did you mean 'adamw_8bit'", Assert.Throws<ConfigException>(() => Opts(dir, "training.optim=adamw_8bt")).Message);
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void ScheduleKeysShapeTheLoggedLearningRate()
    {
        var dir = TrainerTestUtil.TempDir("lrkeys");
        try
        {
            double[] Run(params string[] o)
            {
                var t = Trainer(dir, o);
                t.Train();
                return LoggedLearningRates(t);
            }
            // Logged after each step as transformers does (the rate the next step will use).
            Assert.Equal(new double[] { 1e-2, 1e-2, 1e-2, 1e-2 }, Run("training.lr_scheduler_type=constant"));
            Assert.Equal(new double[] { 7.5e-3, 5e-3, 2.5e-3, 0 }, Run("training.lr_scheduler_type=linear").Select(x => Math.Round(x, 12)).ToArray());
            Assert.Equal(new double[] { 5e-3, 1e-2, 1e-2, 1e-2 }, Run("training.lr_scheduler_type=constant_with_warmup", "training.warmup_steps=2").Select(x => Math.Round(x, 12)).ToArray());
            Assert.Equal(new double[] { 5e-3, 1e-2, 1e-2, 1e-2 }, Run("training.lr_scheduler_type=constant_with_warmup", "training.warmup_ratio=0.5").Select(x => Math.Round(x, 12)).ToArray());
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void MaxGradNormClipsTheUpdate()
    {
        var dir = TrainerTestUtil.TempDir("clipkeys");
        try
        {
            double Moved(params string[] o)
            {
                var t = Trainer(dir, ["training.max_steps=1", .. o]);
                var before = t.Optimizer.Parameters.Select(p => p.Parameter.Value.ToFloatArray()).ToList();
                t.Train();
                return t.Optimizer.Parameters.Select((p, i) => p.Parameter.Value.ToFloatArray().Zip(before[i], (a, b) => Math.Abs(a - b)).Sum()).Sum();
            }
            // Adam's first step is scale-free, so only a clip that pushes the gradient far below adam_epsilon shows in the update.
            double free = Moved("training.max_grad_norm=0");
            double clipped = Moved("training.max_grad_norm=1e-12");
            Assert.True(clipped < 1e-3 * free, $"clipped {clipped} vs unclipped {free}");
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void ShuffleAndEvalBatchSizeChangeWhatIsComputed()
    {
        var dir = TrainerTestUtil.TempDir("orderkeys");
        try
        {
            double FirstLoss(params string[] o)
            {
                var t = Trainer(dir, ["training.max_steps=1", .. o]);
                t.Train();
                return t.StepLosses[1];
            }
            // Without shuffling the first batch is rows 0 and 1; with it, a seeded permutation's first two.
            Assert.Equal(FirstLoss("training.shuffle=false"), FirstLoss("training.shuffle=false"));
            Assert.NotEqual(FirstLoss("training.shuffle=false"), FirstLoss("training.shuffle=true"));
            // eval_loss is a row-weighted mean of per-batch token means (HF), so the batch size groups rows of unequal length differently.
            double one = Trainer(dir, "training.per_device_eval_batch_size=1").Evaluate();
            double four = Trainer(dir, "training.per_device_eval_batch_size=4").Evaluate();
            Assert.NotEqual(one, four, 9);
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void GreaterIsBetterAndMetricPickTheBestCheckpoint()
    {
        var dir = TrainerTestUtil.TempDir("bestkeys");
        try
        {
            (double Best, List<double> Evals) Run(params string[] o)
            {
                TrainerTestUtil.Delete(dir);
                var t = Trainer(dir, ["training.max_steps=6", "training.eval_strategy=steps", "training.eval_steps=2", "training.save_strategy=steps",
                    "training.save_steps=2", "training.load_best_model_at_end=true", "training.learning_rate=0.2", .. o]);
                var outcome = t.Train();
                return (outcome.BestMetric!.Value, [.. t.State.LogHistory.Where(l => l.ContainsKey("eval_loss")).Select(l => l["eval_loss"]!.GetValue<double>())]);
            }
            var lower = Run("training.metric_for_best_model=loss");
            Assert.Equal(lower.Evals.Min(), lower.Best, 12);
            var higher = Run("training.greater_is_better=true");
            Assert.Equal(higher.Evals.Max(), higher.Best, 12);
            Assert.Contains("metric_for_best_model 'accuracy'", Assert.ThrowsAny<TuneSharpException>(() => Trainer(dir, "training.metric_for_best_model=accuracy")).Message);
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void SectionTwinsSetTheTrainingKeys()
    {
        var c = RunConfig.FromOverrides(["model.max_seq_length=77", "dataset.packing=true", "tracking.report_to=[jsonl]", "tracking.run_name=a", "tracking.logging_dir=/tmp/tb-a",
            "training.run_name=b", "training.logging_dir=/tmp/tb-b", "training.report_to=[tensorboard]", "training.max_seq_length=5", "training.packing=false"]);
        Assert.Equal((77, true, "a", "/tmp/tb-a"), (c.Training.MaxSeqLength, c.Training.Packing, c.Training.RunName, c.Training.LoggingDir));
        Assert.Equal(["jsonl"], c.Training.ReportTo);
        var t = RunConfig.FromOverrides(["training.run_name=b", "training.logging_dir=/tmp/tb-b", "training.report_to=[tensorboard]"]);
        Assert.Equal(("b", "/tmp/tb-b"), (t.Training.RunName, t.Training.LoggingDir));
        Assert.Equal(["tensorboard"], t.Training.ReportTo);
    }
}
