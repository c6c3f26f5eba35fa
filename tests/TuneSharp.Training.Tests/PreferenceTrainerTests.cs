// Preference trainer behaviour: loss derivatives, bitwise resume, gradient accumulation ≡ larger batch, precomputed
// reference ≡ on-the-fly, full fine-tuning with a frozen reference, TRL metric names, truncation and option errors.
using System.Text.Json.Nodes;
using TuneSharp.Models;
using TuneSharp.Nn.Lora;
using TuneSharp.Testing;
using TuneSharp.Training.Preference;
using TuneSharp.Training.Sft;
using TuneSharp.Training.Tracking;

namespace TuneSharp.Training.Tests;

public sealed class PreferenceTrainerTests
{
    /// <summary>Pairs over the tiny model's vocabulary: prompt 2–5, answers 1–5 tokens, chosen ≠ rejected.</summary>
    private static List<PreferencePair> Pairs(int count, int seed = 13)
    {
        var rng = new Random(seed);
        int[] Ids(int lo, int hi) => Enumerable.Range(0, rng.Next(lo, hi + 1)).Select(_ => rng.Next(3, TrainerTestUtil.Vocab)).ToArray();
        var list = new List<PreferencePair>();
        while (list.Count < count)
        {
            var (p, c, r) = (Ids(2, 5), Ids(1, 5), Ids(1, 5));
            if (!c.SequenceEqual(r)) list.Add(new PreferencePair(p, c, r, $"pair {list.Count}"));
        }
        return list;
    }

    private static TrainingOptions Opts(string dir, string method = "dpo", string lossType = "sigmoid")
    {
        var o = TrainerTestUtil.Options(dir);
        o.Method = method;
        o.LossType = lossType;
        o.Beta = method == "simpo" ? 2.0 : 0.1;
        o.LearningRate = 5e-3;
        o.MaxSeqLength = 14;
        o.MaxPromptLength = 4;
        return o;
    }

    private static PreferenceTrainer Trainer(TrainingOptions o, List<PreferencePair> data, float dropout = 0f, List<PreferencePair>? eval = null)
    {
        var (model, lora) = TrainerTestUtil.TinyLoraModel(dropout);
        return new PreferenceTrainer(model, null, o, data, eval, lora) { Progress = new ConsoleProgress(TextWriter.Null) };
    }

    [Theory]
    [InlineData(PreferenceMethod.DpoSigmoid, 0.0)]
    [InlineData(PreferenceMethod.DpoSigmoid, 0.2)]
    [InlineData(PreferenceMethod.DpoIpo, 0.0)]
    [InlineData(PreferenceMethod.DpoHinge, 0.0)]
    [InlineData(PreferenceMethod.Orpo, 0.0)]
    [InlineData(PreferenceMethod.Simpo, 0.1)]
    public void PairLossDerivativesMatchFiniteDifferences(PreferenceMethod method, double eps)
    {
        var s = new PreferenceSettings(method, Beta: method == PreferenceMethod.Simpo ? 2 : 0.3, LabelSmoothing: eps, SimpoGamma: 0.7);
        // Averaged log-probs (ORPO needs them < 0); sums for DPO sigmoid/hinge.
        foreach (var (c, r, rc, rr) in new[] { (-1.3, -2.1, -1.7, -1.9), (-0.4, -0.2, -0.5, -0.9), (-3.0, -0.9, -2.0, -2.5) })
        {
            var pl = PreferenceLoss.Pair(s, c, r, rc, rr);
            const double h = 1e-6;
            double dc = (PreferenceLoss.Pair(s, c + h, r, rc, rr).Loss - PreferenceLoss.Pair(s, c - h, r, rc, rr).Loss) / (2 * h);
            double dr = (PreferenceLoss.Pair(s, c, r + h, rc, rr).Loss - PreferenceLoss.Pair(s, c, r - h, rc, rr).Loss) / (2 * h);
            Assert.InRange(Math.Abs(pl.DChosen - dc), 0, Tolerances.FiniteDiffAtol + Tolerances.FiniteDiffRtol * Math.Abs(dc));
            Assert.InRange(Math.Abs(pl.DRejected - dr), 0, Tolerances.FiniteDiffAtol + Tolerances.FiniteDiffRtol * Math.Abs(dr));
        }
        // TRL at the reference point: DPO sigmoid loss is log 2 when policy = reference.
        if (method == PreferenceMethod.DpoSigmoid && eps == 0) Assert.Equal(Math.Log(2), PreferenceLoss.Pair(s, -2, -3, -2, -3).Loss, 12);
    }

    [Theory]
    [InlineData("dpo", false)]
    [InlineData("dpo", true)]
    [InlineData("orpo", false)]
    public void ResumeFromCheckpointIsBitwiseExact(string method, bool precompute)
    {
        var full = TrainerTestUtil.TempDir("pref-resume-a");
        var split = TrainerTestUtil.TempDir("pref-resume-b");
        try
        {
            var data = Pairs(9);
            TrainingOptions O(string dir)
            {
                var o = Opts(dir, method);
                o.MaxSteps = 6;
                o.GradientAccumulationSteps = 2;
                o.LoggingSteps = 2;
                o.SaveStrategy = IntervalStrategy.Steps;
                o.SaveSteps = 3;
                o.LrSchedulerType = SchedulerType.Linear;
                o.PrecomputeRefLogProbs = precompute;
                o.ReportTo = ["jsonl"];
                return o;
            }
            var a = Trainer(O(full), data, dropout: 0.1f);
            a.Train();
            var b1 = Trainer(O(split), data, dropout: 0.1f);
            using var cts = new CancellationTokenSource();
            b1.Logged += e => { if (e["step"]?.GetValue<int>() >= 4) cts.Cancel(); };
            Assert.Equal(TrainStatus.Interrupted, b1.Train(cts.Token).Status);
            var oc = O(split);
            oc.ResumeFromCheckpoint = "true";
            var b2 = Trainer(oc, data, dropout: 0.1f);
            Assert.Equal(TrainStatus.Completed, b2.Train().Status);
            for (int s = 5; s <= 6; s++) Assert.Equal(a.StepLosses[s], b2.StepLosses[s]);
            // Every logged value (loss, rewards/*, logps/*, logits/*, nll_loss …) is identical, the window open at the
            // interruption (step 4 of the 3–4 window) included.
            string Logs(PreferenceTrainer t) => string.Join("\n", t.State.LogHistory.Where(l => l.ContainsKey("loss"))
                .Select(l => { var c = (JsonObject)l.DeepClone(); c.Remove("tokens_per_s"); return c.ToJsonString(); }));
            Assert.Equal(Logs(a), Logs(b2));
            Assert.Contains("rewards/margins", Logs(a));
            var wa = a.TrainableParameters.SelectMany(p => p.Parameter.Value.ToFloatArray()).ToArray();
            var wb = b2.TrainableParameters.SelectMany(p => p.Parameter.Value.ToFloatArray()).ToArray();
            Assert.Equal(wa, wb);
            // metrics.jsonl of the resumed run carries TRL's names once per logged step.
            var rows = File.ReadAllLines(Path.Combine(split, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).Where(r => r.ContainsKey("loss")).ToList();
            Assert.Equal([2, 4, 6], rows.Select(r => r["step"]!.GetValue<int>()));
            foreach (var key in new[] { "rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected", "logits/chosen", "logits/rejected" })
                Assert.All(rows, r => Assert.True(r.ContainsKey(key), key));
            if (method == "orpo") Assert.All(rows, r => Assert.True(r.ContainsKey("nll_loss") && r.ContainsKey("log_odds_ratio")));
        }
        finally
        {
            TrainerTestUtil.Delete(full);
            TrainerTestUtil.Delete(split);
        }
    }

    [Theory]
    [InlineData("dpo", "sigmoid")]
    [InlineData("dpo", "ipo")]
    [InlineData("simpo", "sigmoid")]
    public void GradientAccumulationEqualsLargerBatch(string method, string lossType)
    {
        var d1 = TrainerTestUtil.TempDir("pref-ga-1");
        var d2 = TrainerTestUtil.TempDir("pref-ga-2");
        try
        {
            var data = Pairs(8);
            var big = Opts(d1, method, lossType);
            big.PerDeviceTrainBatchSize = 4;
            big.GradientAccumulationSteps = 1;
            big.MaxSteps = 4;
            big.Shuffle = false;
            var acc = Opts(d2, method, lossType);
            acc.PerDeviceTrainBatchSize = 2;
            acc.GradientAccumulationSteps = 2;
            acc.MaxSteps = 4;
            acc.Shuffle = false;
            var a = Trainer(big, data);
            var b = Trainer(acc, data);
            var la = new List<JsonObject>();
            var lb = new List<JsonObject>();
            a.Logged += e => { if (e.ContainsKey("loss")) la.Add(e); };
            b.Logged += e => { if (e.ContainsKey("loss")) lb.Add(e); };
            a.Train();
            b.Train();
            NumericAssert.Close(a.StepLosses.Values.ToArray(), b.StepLosses.Values.ToArray(), 1e-5, 1e-7, "step losses");
            foreach (var key in new[] { "rewards/chosen", "rewards/margins", "rewards/accuracies", "logps/chosen" })
                NumericAssert.Close(la.Select(l => l[key]!.GetValue<double>()).ToArray(), lb.Select(l => l[key]!.GetValue<double>()).ToArray(), 1e-5, 1e-6, key);
            NumericAssert.Close(a.TrainableParameters.SelectMany(p => p.Parameter.Value.ToFloatArray()).ToArray(),
                b.TrainableParameters.SelectMany(p => p.Parameter.Value.ToFloatArray()).ToArray(), 1e-3, 1e-5, "weights (Adam amplifies float rounding where a gradient is near 0)");
        }
        finally
        {
            TrainerTestUtil.Delete(d1);
            TrainerTestUtil.Delete(d2);
        }
    }

    [Fact]
    public void PrecomputedReferenceEqualsOnTheFlyAndEvaluationReportsRewards()
    {
        var d1 = TrainerTestUtil.TempDir("pref-pre-1");
        var d2 = TrainerTestUtil.TempDir("pref-pre-2");
        try
        {
            var data = Pairs(6);
            var eval = Pairs(4, seed: 99);
            var o1 = Opts(d1);
            var o2 = Opts(d2);
            o2.PrecomputeRefLogProbs = true;
            foreach (var o in new[] { o1, o2 }) { o.EvalStrategy = IntervalStrategy.Steps; o.EvalSteps = 3; }
            var a = Trainer(o1, data, eval: eval);
            var b = Trainer(o2, data, eval: eval);
            a.Train();
            b.Train();
            Assert.Equal(a.StepLosses.Values, b.StepLosses.Values);
            var ea = a.State.LogHistory.Where(l => l.ContainsKey("eval_loss")).ToList();
            Assert.Equal(2, ea.Count);
            Assert.True(ea[0].ContainsKey("eval_rewards/accuracies") && ea[0].ContainsKey("eval_logps/chosen"));
            Assert.Equal(ea.Select(e => e["eval_loss"]!.GetValue<double>()), b.State.LogHistory.Where(l => l.ContainsKey("eval_loss")).Select(e => e["eval_loss"]!.GetValue<double>()));
        }
        finally
        {
            TrainerTestUtil.Delete(d1);
            TrainerTestUtil.Delete(d2);
        }
    }

    [Fact]
    public void FullFineTuningDpoUsesTheFrozenReference()
    {
        var dir = TrainerTestUtil.TempDir("pref-full");
        try
        {
            using var model = TrainerTestUtil.TinyModel();
            using var reference = TrainerTestUtil.TinyModel();
            model.MakeAllTrainable();
            var o = Opts(dir);
            o.MaxSteps = 3;
            Assert.Throws<TrainingSetupException>(() => new PreferenceTrainer(model, null, o, Pairs(4)));
            var t = new PreferenceTrainer(model, null, o, Pairs(4), referenceModel: reference) { Progress = new ConsoleProgress(TextWriter.Null) };
            var logs = new List<JsonObject>();
            t.Logged += e => { if (e.ContainsKey("loss")) logs.Add(e); };
            t.Train();
            // Step 1: policy = reference → zero rewards and loss log 2; afterwards the policy moves, the reference stays.
            Assert.Equal(0, logs[0]["rewards/chosen"]!.GetValue<double>(), 6);
            Assert.Equal(Math.Log(2), logs[0]["loss"]!.GetValue<double>(), 5);
            Assert.NotEqual(0, logs[2]["rewards/margins"]!.GetValue<double>());
            Assert.DoesNotContain(reference.NamedParameters(), p => p.Parameter.RequiresGrad);
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void CollatorTruncatesAsTrl()
    {
        var s = new PreferenceSettings(PreferenceMethod.DpoSigmoid);
        var keepEnd = new PreferenceCollator(maxLength: 6, maxPromptLength: 3, maxCompletionLength: 4, keepEnd: true, padTokenId: 0, s);
        var (ids, answer) = keepEnd.Sequence([1, 2, 3, 4, 5], [10, 11, 12, 13, 14]);
        // prompt keeps its last 3, answer its first 4, then keep_end keeps the last 6 of 7.
        Assert.Equal([4, 5, 10, 11, 12, 13], ids);
        Assert.Equal([false, false, true, true, true, true], answer);
        var keepStart = new PreferenceCollator(6, null, null, keepEnd: false, 0, s);
        Assert.Equal([1, 2, 3, 4, 5, 10], keepStart.Sequence([1, 2, 3, 4, 5], [10, 11]).Ids);
        var b = keepEnd.Collate([new PreferencePair([1, 2], [7, 8, 9], [6])]);
        Assert.Equal(2, b.Rows);
        Assert.Equal(5, b.SeqLen);
        Assert.Equal([3, 1], b.AnswerTokens);
        // Row 0 position 1 (token 2) scores 7, the first answer token; padding scores nothing.
        Assert.Equal([-100, 7, 8, 9, -100, -100, 6, -100, -100, -100], b.Labels);
        Assert.Equal(8, b.Tokens);
        Assert.Throws<TrainingSetupException>(() => new PreferenceTrainer(TrainerTestUtil.TinyModel(), null, Opts("unused", "orpo", "ipo"), Pairs(2)));
    }
}
