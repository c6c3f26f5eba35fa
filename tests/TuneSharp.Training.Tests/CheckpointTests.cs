// Checkpoint folders: layout, atomicity under a crash mid-save, incomplete folders ignored, save_total_limit rotation.
using System.Text.Json.Nodes;
using TuneSharp.Training.Checkpoints;
using TuneSharp.Training.Sft;

namespace TuneSharp.Training.Tests;

public sealed class CheckpointTests
{
    [Fact]
    public void CheckpointHoldsAdapterStateAndTransformersTrainerState()
    {
        var dir = TrainerTestUtil.TempDir("ckpt");
        try
        {
            var o = TrainerTestUtil.Options(dir);
            o.MaxSteps = 4;
            o.SaveStrategy = IntervalStrategy.Steps;
            o.SaveSteps = 2;
            TrainerTestUtil.Trainer(o).Train();
            var c = Path.Combine(dir, "checkpoint-4");
            foreach (var f in new[] { "adapter_config.json", "adapter_model.safetensors", "trainer_state.json", "optimizer.safetensors", "optimizer.json", "scheduler.json", "tunesharp_trainer.json", "training_args.json" })
                Assert.True(File.Exists(Path.Combine(c, f)), f);
            var state = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(c, "trainer_state.json")))!;
            foreach (var k in new[] { "epoch", "global_step", "max_steps", "num_train_epochs", "logging_steps", "eval_steps", "save_steps", "train_batch_size", "best_metric", "best_model_checkpoint", "log_history" })
                Assert.True(state.ContainsKey(k), k);
            Assert.Equal(4, state["global_step"]!.GetValue<int>());
            Assert.Equal(4, ((JsonArray)state["log_history"]!).Count);
            var args = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(c, "training_args.json")))!;
            Assert.Equal(2, args["save_steps"]!.GetValue<int>());
            Assert.Null(CheckpointFolders.Problem(c));
            Assert.Empty(Directory.GetDirectories(dir, ".tmp-*"));
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void CrashDuringSaveLeavesNoCheckpointAndResumeUsesTheLastCompleteOne()
    {
        var dir = TrainerTestUtil.TempDir("crash");
        try
        {
            var o = TrainerTestUtil.Options(dir);
            o.MaxSteps = 4;
            o.SaveStrategy = IntervalStrategy.Steps;
            o.SaveSteps = 2;
            var t = TrainerTestUtil.Trainer(o);
            int saves = 0;
            t.OnCheckpointFileWritten = what =>
            {
                if (what == "weights") saves++;
                if (saves == 2 && what == "optimizer") throw new IOException("simulated crash while writing checkpoint-4");
            };
            Assert.Throws<IOException>(() => t.Train());
            Assert.True(Directory.Exists(Path.Combine(dir, "checkpoint-2")));
            Assert.False(Directory.Exists(Path.Combine(dir, "checkpoint-4")));

            // What a kill -9 can leave: a temporary folder of a dead process, and (defensively) a half folder.
            var stale = Directory.CreateDirectory(Path.Combine(dir, ".tmp-checkpoint-6-999999-0123abcd")).FullName;
            File.WriteAllText(Path.Combine(stale, "adapter_model.safetensors"), "partial");
            var half = Directory.CreateDirectory(Path.Combine(dir, "checkpoint-8")).FullName;
            File.WriteAllText(Path.Combine(half, "adapter_model.safetensors"), "partial");
            Assert.Equal(Path.Combine(dir, "checkpoint-2"), CheckpointFolders.Latest(dir));

            var o2 = TrainerTestUtil.Options(dir);
            o2.MaxSteps = 4;
            o2.SaveStrategy = IntervalStrategy.Steps;
            o2.SaveSteps = 2;
            o2.ResumeFromCheckpoint = "true";
            var resumed = TrainerTestUtil.Trainer(o2);
            var outcome = resumed.Train();
            Assert.Equal(4, outcome.GlobalStep);
            Assert.Equal(new[] { 3, 4 }, resumed.StepLosses.Keys);
            Assert.False(Directory.Exists(stale));
            Assert.Null(CheckpointFolders.Problem(Path.Combine(dir, "checkpoint-4")));
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void RotationDeletesOldestButNeverTheBest()
    {
        var dir = TrainerTestUtil.TempDir("rotate");
        try
        {
            foreach (var s in new[] { 2, 4, 6, 8 }) Directory.CreateDirectory(Path.Combine(dir, $"checkpoint-{s}"));
            var deleted = CheckpointFolders.Rotate(dir, 2, Path.Combine(dir, "checkpoint-2"));
            Assert.Equal(new[] { "checkpoint-4", "checkpoint-6" }, deleted.Select(Path.GetFileName));
            Assert.Equal(new[] { 2, 8 }, CheckpointFolders.List(dir).Select(c => c.Step));
            // Limit 1 with an older best keeps two (transformers).
            Assert.Empty(CheckpointFolders.Rotate(dir, 1, Path.Combine(dir, "checkpoint-2")));
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void SaveTotalLimitAndLoadBestModelAtEnd()
    {
        var dir = TrainerTestUtil.TempDir("best");
        try
        {
            var o = TrainerTestUtil.Options(dir);
            o.MaxSteps = 8;
            o.EvalStrategy = IntervalStrategy.Steps;
            o.EvalSteps = 2;
            o.SaveStrategy = IntervalStrategy.Steps;
            o.SaveSteps = 2;
            o.SaveTotalLimit = 2;
            o.LoadBestModelAtEnd = true;
            o.LearningRate = 0.2; // large: eval loss gets worse after a while, so the best is not the last
            var t = TrainerTestUtil.Trainer(o, TrainerTestUtil.Data(8), TrainerTestUtil.Data(4, seed: 5));
            var outcome = t.Train();
            Assert.NotNull(outcome.BestModelCheckpoint);
            Assert.True(Directory.Exists(outcome.BestModelCheckpoint));
            Assert.True(CheckpointFolders.List(dir).Count <= 2);
            var evals = t.State.LogHistory.Where(l => l.ContainsKey("eval_loss")).Select(l => l["eval_loss"]!.GetValue<double>()).ToList();
            Assert.Equal(evals.Min(), outcome.BestMetric!.Value, 12);
            // The final weights are the best checkpoint's: re-evaluating gives the best metric.
            Assert.Equal(evals.Min(), t.Evaluate(), 6);
        }
        finally { TrainerTestUtil.Delete(dir); }
    }
}
