// Keys that used to be accepted and ignored now show their effect: file_format, max_samples, pad_token, padding_side, dtype float16, run_name, logging_dir; enums bind by name.
using TuneSharp.Testing;
using TuneSharp.Training.Config;
using TuneSharp.Training.Runs;

namespace TuneSharp.Training.Tests;

public sealed class ConfigKeyEffectTests
{
    private static string Stories(string dir)
    {
        var path = Path.Combine(dir, "stories.jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, 6).Select(i =>
            $"{{\"prompt\": \"Tom had a red ball\", \"completion\": \". He gave{string.Concat(Enumerable.Repeat(" a big ball", i + 1))} to his dog.\"}}"));
        return path;
    }

    private static RunConfig Config(string dir, params string[] overrides) => RunConfig.FromOverrides(
    [
        $"model.name_or_path={SharedAssets.Require("models/tinystories-656k")}", $"dataset.path={Stories(dir)}", $"dataset.eval_path={Stories(dir)}",
        "dataset.format=completion", $"training.output_dir={Path.Combine(dir, "out")}", "training.max_steps=1", "training.report_to=[]",
        "training.per_device_train_batch_size=3", "training.per_device_eval_batch_size=3", .. overrides,
    ]);

    [Fact]
    public void EveryKeyIsDocumented()
    {
        var keys = ConfigKeys.All();
        Assert.True(keys.Count >= 60, $"{keys.Count} keys");
        Assert.All(keys, k => Assert.False(string.IsNullOrWhiteSpace(k.Description), k.Name));
        Assert.Contains(keys, k => k.Name == "training.eval_strategy" && k.Type == "one of no, steps, epoch" && k.Default == "no");
    }

    [Fact]
    public void EnumsBindByNameAndRoundTrip()
    {
        var c = RunConfig.Parse("training: {lr_scheduler_type: constant_with_warmup, eval_strategy: epoch, nan_policy: skip}\ntokenizer: {padding_side: left}");
        Assert.Equal(SchedulerType.ConstantWithWarmup, c.Training.LrSchedulerType);
        Assert.Equal(IntervalStrategy.Epoch, c.Training.EvalStrategy);
        Assert.Equal(NanPolicy.Skip, c.Training.NanPolicy);
        var again = RunConfig.Parse(c.ToYaml());
        Assert.Equal(c.ToYaml(), again.ToYaml());
        Assert.Contains("did you mean 'steps'", Assert.Throws<ConfigException>(() => RunConfig.Parse("training: {save_strategy: step}")).Message);
    }

    [Fact]
    public void MaxSamplesTakesASeededSubsetAfterShuffling()
    {
        var c = RunConfig.FromOverrides(["dataset.max_samples=5", "training.seed=3"]);
        var picked = RunData.SampleIndices(c, 100)!;
        Assert.Equal(SeedFirst(100, 3, 5), picked);
        Assert.NotEqual([0, 1, 2, 3, 4], picked);
        c.Training.Shuffle = false;
        Assert.Equal([0, 1, 2, 3, 4], RunData.SampleIndices(c, 100)!);
        Assert.Null(RunData.SampleIndices(c, 5));
    }

    private static int[] SeedFirst(int n, ulong seed, int k) => Data.SeededPermutation.Create(n, seed)[..k];

    [Fact]
    public void FileFormatOverridesTheExtension()
    {
        var dir = TrainerTestUtil.TempDir("fileformat");
        try
        {
            var path = Path.Combine(dir, "rows.txt");
            File.WriteAllText(path, "{\"a\": 1}\n{\"a\": 2}\n");
            var asText = RunData.LoadRows(RunConfig.FromOverrides([]), path, "train");
            Assert.True(asText[0].ContainsKey("text"));
            var asJsonl = RunData.LoadRows(RunConfig.FromOverrides(["dataset.file_format=jsonl"]), path, "train");
            Assert.Equal(2, asJsonl[1]["a"]!.GetValue<int>());
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void PadTokenPaddingSideDtypeRunNameAndLoggingDirTakeEffect()
    {
        var dir = TrainerTestUtil.TempDir("keys");
        try
        {
            double Loss(params string[] o)
            {
                using var run = FineTuneRun.FromConfig(Config(dir, o));
                return run.Trainer.Evaluate();
            }
            // padding_side: pads move to the left of each row, and the loss is unchanged (positions follow the mask).
            using (var left = FineTuneRun.FromConfig(Config(dir, "tokenizer.padding_side=left", "tokenizer.pad_token=<|end_story|>")))
            {
                var batch = left.Trainer.Collator.Collate(left.Data.Train.Take(3).ToList());
                int pad = left.Tokenizer!.TokenToId("<|end_story|>")!.Value;
                Assert.Equal(pad, left.Trainer.Collator.PadTokenId);
                int shortest = Enumerable.Range(0, 3).First(r => batch.AttentionMask[r * batch.SeqLen] == 0);
                Assert.Equal(pad, batch.InputIds[shortest * batch.SeqLen]);
                Assert.Equal(1, batch.AttentionMask[(shortest + 1) * batch.SeqLen - 1]);
                Assert.Equal(Loss(), left.Trainer.Evaluate(), 5);
            }
            Assert.Contains("tokenizer.pad_token", Assert.Throws<ConfigException>(() => Loss("tokenizer.pad_token=<no-such-token>")).Message);
            // dtype float16: 2-D weights are held as F16; the loss stays within half-precision rounding of F32.
            using (var f16 = FineTuneRun.FromConfig(Config(dir, "model.dtype=float16")))
            {
                Assert.All(f16.Model.Linears, l => Assert.Equal(Tensors.DType.F16, l.Weight.Value.DType));
                Assert.Equal(Loss("model.dtype=float32"), f16.Trainer.Evaluate(), 2);
            }
            // run_name and logging_dir (tracking.* wins over training.*).
            var tb = Path.Combine(dir, "tb");
            using (var named = FineTuneRun.FromConfig(Config(dir, "tracking.run_name=my-run", $"tracking.logging_dir={tb}", "training.report_to=[tensorboard]")))
            {
                var log = new StringWriter();
                named.Trainer.Progress = new Tracking.ConsoleProgress(log);
                named.Train();
                Assert.Contains("run my-run: training", log.ToString());
                Assert.NotEmpty(Directory.GetFiles(tb, "events.out.tfevents*", SearchOption.AllDirectories));
                Assert.False(Directory.Exists(Path.Combine(dir, "out", "runs")));
            }
        }
        finally { TrainerTestUtil.Delete(dir); }
    }
}
