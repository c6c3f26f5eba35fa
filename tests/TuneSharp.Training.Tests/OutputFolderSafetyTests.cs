// Issue 14 cases 1, 4 and 6: one training per output_dir (lock naming the holder), no silent mixing of runs, validating
// resume fallback, leftovers of killed saves removed, atomic rotation, disk full reported with nothing lost.
using TuneSharp.Training.Checkpoints;
using TuneSharp.Training.Sft;
using TuneSharp.Training.Tracking;

namespace TuneSharp.Training.Tests;

public sealed class OutputFolderSafetyTests
{
    private static TrainingOptions Saving(string dir)
    {
        var o = TrainerTestUtil.Options(dir);
        o.MaxSteps = 6;
        o.SaveStrategy = IntervalStrategy.Steps;
        o.SaveSteps = 2;
        return o;
    }

    private static (SftTrainer Trainer, StringWriter Log) Logged(TrainingOptions o)
    {
        var t = TrainerTestUtil.Trainer(o);
        var log = new StringWriter();
        t.Progress = new ConsoleProgress(log);
        return (t, log);
    }

    private static float[] Weights(SftTrainer t) => t.TrainableParameters.SelectMany(p => p.Parameter.Value.ToFloatArray()).ToArray();

    [Fact]
    public void SecondConcurrentTrainingRefusesNamingTheLockHolder()
    {
        var dir = TrainerTestUtil.TempDir("lock");
        try
        {
            var a = TrainerTestUtil.Trainer(Saving(dir));
            Exception? second = null;
            a.Logged += e =>
            {
                if (e["step"]?.GetValue<int>() != 3 || second != null) return;
                var b = TrainerTestUtil.Trainer(Saving(dir));
                second = Record.Exception(() => b.Train());
            };
            var outcome = a.Train();
            Assert.Equal(TrainStatus.Completed, outcome.Status);
            var locked = Assert.IsType<RunLockedException>(second);
            Assert.Equal(ExitCode.Output, locked.ExitCode);
            Assert.Contains($"PID {Environment.ProcessId}", locked.Message, StringComparison.Ordinal);
            Assert.Contains(Environment.MachineName, locked.Message, StringComparison.Ordinal);
            // The first run's checkpoints were not touched by the refused one.
            Assert.Equal([2, 4, 6], CheckpointFolders.List(dir).Select(c => c.Step));
            Assert.False(File.Exists(Path.Combine(dir, RunLock.HolderFileName)));
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void StaleLockOfADeadProcessIsExplainedAndTakenOver()
    {
        var dir = TrainerTestUtil.TempDir("stale");
        try
        {
            File.WriteAllText(Path.Combine(dir, RunLock.HolderFileName), """{"pid": 999999, "host": "gone-host", "started_utc": "2026-01-01 00:00:00Z", "command": "tunesharp train"}""");
            var (t, log) = Logged(TrainerTestUtil.Options(dir));
            Assert.Equal(TrainStatus.Completed, t.Train().Status);
            Assert.Contains("PID 999999 on host gone-host", log.ToString(), StringComparison.Ordinal);
            Assert.Contains("stale", log.ToString(), StringComparison.Ordinal);
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void FreshRunIntoAUsedFolderRefusesUnlessOverwriteOrResume()
    {
        var dir = TrainerTestUtil.TempDir("fresh");
        try
        {
            TrainerTestUtil.Trainer(Saving(dir)).Train();
            var ex = Assert.IsType<TrainingSetupException>(Record.Exception(() => TrainerTestUtil.Trainer(Saving(dir)).Train()));
            Assert.Contains("overwrite_output_dir", ex.Message, StringComparison.Ordinal);
            Assert.Contains("checkpoint-6", ex.Message, StringComparison.Ordinal);

            var o = Saving(dir);
            o.OverwriteOutputDir = true;
            o.MaxSteps = 2;
            TrainerTestUtil.Trainer(o).Train();
            Assert.Equal([2], CheckpointFolders.List(dir).Select(c => c.Step)); // no mix of old and new checkpoints
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void ResumeWithOtherSettingsSaysWhatDiffers()
    {
        var dir = TrainerTestUtil.TempDir("settings");
        try
        {
            var o = Saving(dir);
            o.MaxSteps = 4;
            TrainerTestUtil.Trainer(o).Train();
            var other = Saving(dir);
            other.ResumeFromCheckpoint = "true";
            other.LearningRate = 3e-3;
            other.Seed = 77;
            var ex = Assert.IsType<TrainingSetupException>(Record.Exception(() => TrainerTestUtil.Trainer(other).Train()));
            Assert.Contains("learning_rate: checkpoint 0.01, now 0.003", ex.Message, StringComparison.Ordinal);
            Assert.Contains("seed: checkpoint", ex.Message, StringComparison.Ordinal);
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Theory]
    [InlineData("optimizer.safetensors")]
    [InlineData("adapter_model.safetensors")]
    [InlineData("optimizer.json")]
    [InlineData("tunesharp_trainer.json")]
    [InlineData("trainer_state.json")]
    public void ResumeSkipsACheckpointWithATruncatedFileAndStillMatchesTheUninterruptedRun(string file)
    {
        var full = TrainerTestUtil.TempDir("fallback-a");
        var dir = TrainerTestUtil.TempDir("fallback-b");
        try
        {
            var reference = TrainerTestUtil.Trainer(Saving(full));
            reference.Train();

            var first = Saving(dir);
            first.MaxSteps = 4; // checkpoints 2 and 4; the schedule is constant so max_steps may grow on resume
            TrainerTestUtil.Trainer(first).Train();
            var victim = Path.Combine(dir, "checkpoint-4", file);
            var bytes = File.ReadAllBytes(victim);
            File.WriteAllBytes(victim, bytes[..(bytes.Length / 2)]);

            var o = Saving(dir);
            o.ResumeFromCheckpoint = "true";
            var (t, log) = Logged(o);
            Assert.Equal(TrainStatus.Completed, t.Train().Status);
            var skipped = log.ToString().Split('\n').Single(l => l.Contains("skipping checkpoint-4:", StringComparison.Ordinal));
            Assert.Contains(file, skipped, StringComparison.Ordinal);
            Assert.Contains("resumed from", log.ToString(), StringComparison.Ordinal);
            Assert.Contains("checkpoint-2", log.ToString(), StringComparison.Ordinal);
            Assert.Equal(Weights(reference), Weights(t));
        }
        finally
        {
            TrainerTestUtil.Delete(full);
            TrainerTestUtil.Delete(dir);
        }
    }

    [Fact]
    public void ExplicitResumeFromATruncatedCheckpointIsAClearError()
    {
        var dir = TrainerTestUtil.TempDir("explicit");
        try
        {
            var o = Saving(dir);
            o.MaxSteps = 2;
            TrainerTestUtil.Trainer(o).Train();
            var ckpt = Path.Combine(dir, "checkpoint-2");
            var opt = Path.Combine(ckpt, "optimizer.safetensors");
            File.WriteAllBytes(opt, File.ReadAllBytes(opt)[..100]);
            var r = Saving(dir);
            r.ResumeFromCheckpoint = ckpt;
            var ex = Assert.IsType<TrainingSetupException>(Record.Exception(() => TrainerTestUtil.Trainer(r).Train()));
            Assert.Contains("optimizer.safetensors", ex.Message, StringComparison.Ordinal);
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void LeftoversOfKilledSavesAreRemovedAtTheNextStart()
    {
        var dir = TrainerTestUtil.TempDir("leftovers");
        try
        {
            string[] folders = [".tmp-final-4242-0123456789abcdef0123456789abcdef", ".tmp-checkpoint-2-4242-0123456789abcdef0123456789abcdef",
                ".trash-checkpoint-1-4242-0123456789abcdef0123456789abcdef", ".old-checkpoint-2-0123456789abcdef0123456789abcdef"];
            foreach (var f in folders)
            {
                Directory.CreateDirectory(Path.Combine(dir, f));
                File.WriteAllText(Path.Combine(dir, f, "adapter_model.safetensors"), "partial");
            }
            File.WriteAllText(Path.Combine(dir, ".metrics.jsonl.0123456789abcdef0123456789abcdef.tmp"), "partial");
            var (t, log) = Logged(TrainerTestUtil.Options(dir));
            t.Train();
            Assert.DoesNotContain(Directory.GetDirectories(dir).Select(Path.GetFileName), n => n!.StartsWith('.'));
            Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
            Assert.Contains("removed 5 leftover", log.ToString(), StringComparison.Ordinal);
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void RotationLeavesNoHalfDeletedCheckpoint()
    {
        var dir = TrainerTestUtil.TempDir("rotate");
        try
        {
            var o = Saving(dir);
            o.SaveSteps = 1;
            o.SaveTotalLimit = 2;
            TrainerTestUtil.Trainer(o).Train();
            Assert.Equal([5, 6], CheckpointFolders.List(dir).Select(c => c.Step));
            Assert.Empty(Directory.GetDirectories(dir, ".trash-*"));
            Assert.All(CheckpointFolders.List(dir), c => Assert.Null(CheckpointValidator.Problem(c.Path)));
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void RerunningAFinishedRunDoesNotDuplicateTheSummaryLine()
    {
        var dir = TrainerTestUtil.TempDir("rerun");
        try
        {
            TrainerTestUtil.Trainer(Saving(dir)).Train();
            for (int i = 0; i < 2; i++)
            {
                var o = Saving(dir);
                o.ResumeFromCheckpoint = "true";
                TrainerTestUtil.Trainer(o).Train();
            }
            var lines = File.ReadAllLines(Path.Combine(dir, "metrics.jsonl"));
            Assert.Single(lines, l => l.Contains("train_runtime", StringComparison.Ordinal));
            Assert.Equal(6, lines.Count(l => l.Contains("\"loss\"", StringComparison.Ordinal)));
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void DiskFullDuringASaveSaysSoAndKeepsTheLastCheckpoint()
    {
        var dir = TrainerTestUtil.TempDir("diskfull");
        try
        {
            var t = TrainerTestUtil.Trainer(Saving(dir));
            t.OnCheckpointFileWritten = part =>
            {
                if (part == "optimizer" && Directory.Exists(Path.Combine(dir, "checkpoint-2")))
                    throw new IOException("No space left on device : 'optimizer.safetensors'", 28);
            };
            var ex = Assert.IsType<OutputWriteException>(Record.Exception(() => t.Train()));
            Assert.Equal(ExitCode.Output, ex.ExitCode);
            Assert.Contains("full", ex.Message, StringComparison.Ordinal);
            Assert.Contains("checkpoint-2", ex.Message, StringComparison.Ordinal);
            Assert.Null(CheckpointValidator.Problem(Path.Combine(dir, "checkpoint-2")));
            Assert.Empty(Directory.GetDirectories(dir, ".tmp-*"));
            Assert.False(File.Exists(Path.Combine(dir, RunLock.HolderFileName)));
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void CollapsedModelStopsTheRunWithAnExplanation()
    {
        var dir = TrainerTestUtil.TempDir("collapse");
        try
        {
            var (model, lora) = TrainerTestUtil.TinyLoraModel();
            model.LmHead.Weight.Value.Span.Clear(); // uniform logits: loss = ln V and every gradient is exactly 0
            var t = new SftTrainer(model, null, TrainerTestUtil.Options(dir), TrainerTestUtil.Data(10), null, lora) { Progress = new ConsoleProgress(TextWriter.Null) };
            var ex = Assert.IsType<TrainingDivergedException>(Record.Exception(() => t.Train()));
            Assert.Contains("uniform", ex.Message, StringComparison.Ordinal);
            Assert.Equal(1, ex.Step);
        }
        finally { TrainerTestUtil.Delete(dir); }
    }
}
