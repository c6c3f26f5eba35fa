// SftTrainer behaviour with transformers/TRL semantics on a tiny random llama: learning, accumulation, logging, NaN policy, bad input.
using System.Text.Json.Nodes;
using TuneSharp.Nn.Lora;
using TuneSharp.Testing;
using TuneSharp.Training.Sft;

namespace TuneSharp.Training.Tests;

public sealed class TrainerTests
{
    [Fact]
    public void TrainingLowersTheLossChangesTheAdapterAndKeepsFrozenWeights()
    {
        var dir = TrainerTestUtil.TempDir("learn");
        try
        {
            var o = TrainerTestUtil.Options(dir);
            o.MaxSteps = 30;
            o.LoggingSteps = 10;
            var (model, lora) = TrainerTestUtil.TinyLoraModel();
            var q = model.GetLinear("model.layers.0.self_attn.q_proj");
            var baseBefore = q.Weight.Value.ToFloatArray();
            var bBefore = q.Lora!.B.Value.ToFloatArray();
            o.LearningRate = 3e-2;
            var data = TrainerTestUtil.Data(12);
            var trainer = new SftTrainer(model, null, o, data, data, lora) { Progress = new Tracking.ConsoleProgress(TextWriter.Null) };
            double before = trainer.Evaluate();
            var outcome = trainer.Train();
            Assert.Equal(TrainStatus.Completed, outcome.Status);
            Assert.Equal(30, outcome.GlobalStep);
            double after = trainer.Evaluate();
            Assert.True(after < before - 0.1, $"eval loss {before} → {after}");
            Assert.Equal(baseBefore, q.Weight.Value.ToFloatArray());
            Assert.NotEqual(bBefore, q.Lora.B.Value.ToFloatArray());
            Assert.True(File.Exists(Path.Combine(dir, "adapter_model.safetensors")));
            Assert.True(File.Exists(Path.Combine(dir, "adapter_config.json")));
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void AccumulationOfTwoEqualMicroBatchesMatchesOneBatchOfTwo()
    {
        // Rows of equal length and mask: mean of the micro-batch means equals the batch mean, so GA=2·B=1 ≡ GA=1·B=2.
        var data = TrainerTestUtil.Data(8, minLen: 9, maxLen: 9);
        var d1 = TrainerTestUtil.TempDir("ga1");
        var d2 = TrainerTestUtil.TempDir("ga2");
        try
        {
            var o1 = TrainerTestUtil.Options(d1);
            o1.PerDeviceTrainBatchSize = 2;
            o1.Shuffle = false;
            o1.MaxSteps = 4;
            var o2 = TrainerTestUtil.Options(d2);
            o2.PerDeviceTrainBatchSize = 1;
            o2.GradientAccumulationSteps = 2;
            o2.Shuffle = false;
            o2.MaxSteps = 4;
            var t1 = TrainerTestUtil.Trainer(o1, data);
            var t2 = TrainerTestUtil.Trainer(o2, data);
            t1.Train();
            t2.Train();
            for (int s = 1; s <= 4; s++)
                Assert.True(Math.Abs(t1.StepLosses[s] - t2.StepLosses[s]) <= 1e-5 * Math.Abs(t1.StepLosses[s]), $"step {s}: {t1.StepLosses[s]} vs {t2.StepLosses[s]}");
            var w1 = t1.TrainableParameters.SelectMany(p => p.Parameter.Value.ToFloatArray()).ToArray();
            var w2 = t2.TrainableParameters.SelectMany(p => p.Parameter.Value.ToFloatArray()).ToArray();
            NumericAssert.Close(w1, w2, 1e-4, 1e-6, "weights after 4 steps");
        }
        finally { TrainerTestUtil.Delete(d1); TrainerTestUtil.Delete(d2); }
    }

    [Fact]
    public void FirstStepLossIsTheMeanOfTheMicroBatchMeans()
    {
        var dir = TrainerTestUtil.TempDir("mean");
        try
        {
            var data = TrainerTestUtil.Data(4);
            var o = TrainerTestUtil.Options(dir);
            o.PerDeviceTrainBatchSize = 1;
            o.GradientAccumulationSteps = 2;
            o.Shuffle = false;
            o.MaxSteps = 1;
            var (model, lora) = TrainerTestUtil.TinyLoraModel();
            // Make B non-zero so the adapter matters, then compute the expected loss by hand.
            var rng = new Random(3);
            foreach (var l in lora.AdaptedLayers)
            {
                var span = l.Lora!.B.Value.Span;
                for (int k = 0; k < span.Length; k++) span[k] = (float)(rng.NextDouble() * 2 - 1) * 0.05f;
            }
            double expected = 0;
            for (int i = 0; i < 2; i++)
            {
                using var tape = new Autograd.Tape();
                using var input = Models.CausalLMInput.Create(data[i].InputIds, 1);
                using (tape.NoGrad()) expected += model.Loss(tape, input, data[i].Labels).Item() / 2.0;
            }
            var trainer = new SftTrainer(model, null, o, data, null, lora) { Progress = new Tracking.ConsoleProgress(TextWriter.Null) };
            trainer.Train();
            Assert.Equal(expected, trainer.StepLosses[1], 6);
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void StepCountsEpochsAndLoggingWindowFollowTransformers()
    {
        var dir = TrainerTestUtil.TempDir("epochs");
        try
        {
            var o = TrainerTestUtil.Options(dir);
            o.MaxSteps = -1;
            o.NumTrainEpochs = 2;
            o.PerDeviceTrainBatchSize = 2;
            o.GradientAccumulationSteps = 2;
            o.LoggingSteps = 2;
            var t = TrainerTestUtil.Trainer(o, TrainerTestUtil.Data(10));
            // 10 rows / 2 = 5 micro-batches, ceil(5 / 2) = 3 steps per epoch.
            Assert.Equal(3, t.StepsPerEpoch);
            Assert.Equal(6, t.MaxSteps);
            var logs = new List<JsonObject>();
            t.Logged += logs.Add;
            t.Train();
            var train = logs.Where(l => l.ContainsKey("loss")).ToList();
            Assert.Equal(new[] { 2, 4, 6 }, train.Select(l => l["step"]!.GetValue<int>()));
            Assert.Equal((t.StepLosses[3] + t.StepLosses[4]) / 2, train[1]["loss"]!.GetValue<double>(), 12);
            Assert.Equal(4 / 5.0, train[0]["epoch"]!.GetValue<double>(), 12); // two steps = 4 of 5 micro-batches
            Assert.Equal(1 + 2 / 5.0, train[1]["epoch"]!.GetValue<double>(), 12);
            Assert.Equal(2.0, train[2]["epoch"]!.GetValue<double>(), 12);
            foreach (var key in new[] { "loss", "grad_norm", "learning_rate", "epoch", "step", "tokens_per_s" })
                Assert.True(train[0].ContainsKey(key), key);
            Assert.Contains(logs, l => l.ContainsKey("train_loss"));
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void NanLossAbortsNamingTheStepAndLeavesWeightsUntouched()
    {
        var dir = TrainerTestUtil.TempDir("nan");
        try
        {
            var (model, lora) = TrainerTestUtil.TinyLoraModel();
            var q = lora.AdaptedLayers[0].Lora!;
            q.B.Value.Span[0] = float.NaN;
            var a = lora.AdaptedLayers[1].Lora!.A.Value.ToFloatArray();
            var trainer = new SftTrainer(model, null, TrainerTestUtil.Options(dir), TrainerTestUtil.Data(6), null, lora) { Progress = new Tracking.ConsoleProgress(TextWriter.Null) };
            var e = Assert.Throws<TrainingDivergedException>(() => trainer.Train());
            Assert.Equal(1, e.Step);
            Assert.Contains("step 1", e.Message);
            Assert.Equal(a, lora.AdaptedLayers[1].Lora!.A.Value.ToFloatArray());
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void NanLossWithSkipPolicySkipsTheStep()
    {
        var dir = TrainerTestUtil.TempDir("nanskip");
        try
        {
            var (model, lora) = TrainerTestUtil.TinyLoraModel();
            lora.AdaptedLayers[0].Lora!.B.Value.Span[0] = float.PositiveInfinity;
            var a = lora.AdaptedLayers[1].Lora!.A.Value.ToFloatArray();
            var o = TrainerTestUtil.Options(dir);
            o.NanPolicy = NanPolicy.Skip;
            o.MaxSteps = 3;
            var trainer = new SftTrainer(model, null, o, TrainerTestUtil.Data(6), null, lora) { Progress = new Tracking.ConsoleProgress(TextWriter.Null) };
            var outcome = trainer.Train();
            Assert.Equal(new[] { 1, 2, 3 }, outcome.SkippedSteps);
            Assert.Equal(a, lora.AdaptedLayers[1].Lora!.A.Value.ToFloatArray());
            Assert.Contains(trainer.State.LogHistory, l => l.ContainsKey("skipped"));
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void BadInputGivesClearMessagesBeforeTraining()
    {
        var dir = TrainerTestUtil.TempDir("bad");
        try
        {
            var o = TrainerTestUtil.Options(dir);
            Assert.Contains("training.optim: 'sgd_magic' is not one of adamw_torch, adamw_8bit", Assert.Throws<ConfigException>(() => Config.RunConfig.Parse("training: {optim: sgd_magic}")).Message);
            Assert.Contains("'zigzag' is not one of linear, cosine", Assert.Throws<ConfigException>(() => Config.RunConfig.Parse("training: {lr_scheduler_type: zigzag}")).Message);
            var file = Path.Combine(dir, "a-file");
            File.WriteAllText(file, "x");
            o = TrainerTestUtil.Options(Path.Combine(file, "out"));
            Assert.Contains("not writable", Assert.Throws<TrainingSetupException>(() => TrainerTestUtil.Trainer(o)).Message);
            o = TrainerTestUtil.Options(dir);
            o.EvalStrategy = IntervalStrategy.Steps;
            Assert.Contains("evaluation data", Assert.Throws<ConfigException>(() => TrainerTestUtil.Trainer(o)).Message);

            var model = TrainerTestUtil.TinyModel();
            var rank0 = new LoraConfig { R = 0, TargetModules = ["q_proj"] };
            Assert.Contains("rank", Assert.ThrowsAny<ConfigException>(() => LoraModel.Inject(model.Linears.Select(l => (l.Name, l)), rank0)).Message);
            var missing = new LoraConfig { R = 4, TargetModules = ["q_porj"] };
            Assert.Contains("q_porj", Assert.ThrowsAny<ConfigException>(() => LoraModel.Inject(model.Linears.Select(l => (l.Name, l)), missing)).Message);
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void EarlyStoppingStopsAfterPatienceEvaluationsWithoutImprovement()
    {
        var dir = TrainerTestUtil.TempDir("early");
        try
        {
            var o = TrainerTestUtil.Options(dir);
            o.MaxSteps = 20;
            o.EvalStrategy = IntervalStrategy.Steps;
            o.EvalSteps = 2;
            o.EarlyStoppingPatience = 2;
            o.EarlyStoppingThreshold = 100; // no improvement can exceed it
            var t = TrainerTestUtil.Trainer(o, TrainerTestUtil.Data(8), TrainerTestUtil.Data(4, seed: 99));
            var outcome = t.Train();
            Assert.Equal(TrainStatus.EarlyStopped, outcome.Status);
            Assert.Equal(6, outcome.GlobalStep); // evals at 2 (best set), 4 (1), 6 (2 ≥ patience)
            Assert.Equal(3, t.State.LogHistory.Count(l => l.ContainsKey("eval_loss")));
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void FullFineTuningTrainsEveryWeightAndSavesModelSafetensors()
    {
        var dir = TrainerTestUtil.TempDir("full");
        try
        {
            var model = TrainerTestUtil.TinyModel();
            model.MakeAllTrainable();
            var before = model.GetLinear("model.layers.1.mlp.down_proj").Weight.Value.ToFloatArray();
            var o = TrainerTestUtil.Options(dir);
            o.MaxSteps = 2;
            o.LearningRate = 1e-3;
            var t = new SftTrainer(model, null, o, TrainerTestUtil.Data(6)) { Progress = new Tracking.ConsoleProgress(TextWriter.Null) };
            t.Train();
            Assert.NotEqual(before, model.GetLinear("model.layers.1.mlp.down_proj").Weight.Value.ToFloatArray());
            Assert.True(File.Exists(Path.Combine(dir, "model.safetensors")));
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void GradientCheckpointingAndPackingTrain()
    {
        var d1 = TrainerTestUtil.TempDir("gc1");
        var d2 = TrainerTestUtil.TempDir("gc2");
        try
        {
            var o1 = TrainerTestUtil.Options(d1);
            o1.MaxSteps = 3;
            o1.Packing = true;
            var o2 = TrainerTestUtil.Options(d2);
            o2.MaxSteps = 3;
            o2.Packing = true;
            o2.GradientCheckpointing = true;
            var t1 = TrainerTestUtil.Trainer(o1, TrainerTestUtil.Data(12));
            var t2 = TrainerTestUtil.Trainer(o2, TrainerTestUtil.Data(12));
            Assert.True(t1.TrainRows < 12); // packed into 16-token rows
            t1.Train();
            t2.Train();
            for (int s = 1; s <= 3; s++)
                Assert.True(Math.Abs(t1.StepLosses[s] - t2.StepLosses[s]) <= 1e-6 * Math.Abs(t1.StepLosses[s]), $"step {s}: {t1.StepLosses[s]} vs {t2.StepLosses[s]}");
        }
        finally { TrainerTestUtil.Delete(d1); TrainerTestUtil.Delete(d2); }
    }
}
