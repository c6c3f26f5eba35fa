// Resume from checkpoint k reproduces the uninterrupted run bit for bit (losses, logs, final adapter).
using TuneSharp.Training.Sft;

namespace TuneSharp.Training.Tests;

public sealed class ResumeTests
{
    private static TrainingOptions Opts(string dir)
    {
        var o = TrainerTestUtil.Options(dir);
        o.MaxSteps = 6;
        o.GradientAccumulationSteps = 2;
        o.LoggingSteps = 2;
        o.SaveStrategy = IntervalStrategy.Steps;
        o.SaveSteps = 3;
        o.LrSchedulerType = SchedulerType.Linear;
        o.WarmupSteps = 2;
        o.WeightDecay = 0.01;
        return o;
    }

    [Theory]
    [InlineData(OptimizerType.AdamwTorch)]
    [InlineData(OptimizerType.Adamw8bit)]
    public void ResumeFromCheckpointGivesTheSameLossesAsAnUninterruptedRun(OptimizerType optim)
    {
        var full = TrainerTestUtil.TempDir("resume-a");
        var split = TrainerTestUtil.TempDir("resume-b");
        try
        {
            var data = TrainerTestUtil.Data(11);
            var oa = Opts(full);
            oa.Optim = optim;
            var a = TrainerTestUtil.Trainer(oa, data, dropout: 0.1f);
            a.Train();

            // Interrupted run: cancel after step 4 (mid logging window, after the step-3 save) → checkpoint-4.
            var ob = Opts(split);
            ob.Optim = optim;
            var b1 = TrainerTestUtil.Trainer(ob, data, dropout: 0.1f);
            using var cts = new CancellationTokenSource();
            b1.Logged += e => { if (e["step"]?.GetValue<int>() >= 4) cts.Cancel(); };
            var first = b1.Train(cts.Token);
            Assert.Equal(TrainStatus.Interrupted, first.Status);
            Assert.Equal(4, first.GlobalStep);
            Assert.True(Directory.Exists(Path.Combine(split, "checkpoint-4")));

            var oc = Opts(split);
            oc.Optim = optim;
            oc.ResumeFromCheckpoint = "true";
            var b2 = TrainerTestUtil.Trainer(oc, data, dropout: 0.1f, modelSeed: 3);
            var second = b2.Train();
            Assert.Equal(TrainStatus.Completed, second.Status);
            for (int s = 5; s <= 6; s++) Assert.Equal(a.StepLosses[s], b2.StepLosses[s]); // bitwise
            for (int s = 1; s <= 4; s++) Assert.Equal(a.StepLosses[s], b1.StepLosses[s]);
            var la = a.State.LogHistory.Where(l => l.ContainsKey("loss")).Select(l => l["loss"]!.GetValue<double>()).ToArray();
            var lb = b2.State.LogHistory.Where(l => l.ContainsKey("loss")).Select(l => l["loss"]!.GetValue<double>()).ToArray();
            Assert.Equal(la, lb);
            var wa = a.TrainableParameters.SelectMany(p => p.Parameter.Value.ToFloatArray()).ToArray();
            var wb = b2.TrainableParameters.SelectMany(p => p.Parameter.Value.ToFloatArray()).ToArray();
            Assert.Equal(wa, wb);
            var steps = File.ReadAllLines(Path.Combine(split, "metrics.jsonl")).Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!.AsObject())
                .Where(r => r.ContainsKey("loss")).Select(r => r["step"]!.GetValue<int>()).ToArray();
            Assert.Equal(new[] { 2, 4, 6 }, steps);
        }
        finally { TrainerTestUtil.Delete(full); TrainerTestUtil.Delete(split); }
    }

    [Fact]
    public void ResumeFromAnExplicitFolderThatIsNotACheckpointFailsClearly()
    {
        var dir = TrainerTestUtil.TempDir("resume-bad");
        try
        {
            var o = Opts(dir);
            o.ResumeFromCheckpoint = Path.Combine(dir, "checkpoint-99");
            var t = TrainerTestUtil.Trainer(o);
            Assert.Contains("checkpoint-99", Assert.Throws<TrainingSetupException>(() => t.Train()).Message);
        }
        finally { TrainerTestUtil.Delete(dir); }
    }
}
