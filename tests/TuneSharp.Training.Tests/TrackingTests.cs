// Tracking output written as training goes: metrics.jsonl rows, TensorBoard event files, console lines.
using System.Text.Json.Nodes;

namespace TuneSharp.Training.Tests;

public sealed class TrackingTests
{
    [Fact]
    public void MetricsJsonlAndTensorBoardAreWritten()
    {
        var dir = TrainerTestUtil.TempDir("track");
        try
        {
            var o = TrainerTestUtil.Options(dir);
            o.MaxSteps = 4;
            o.EvalStrategy = IntervalStrategy.Steps;
            o.EvalSteps = 2;
            var console = new StringWriter();
            var t = TrainerTestUtil.Trainer(o, TrainerTestUtil.Data(8), TrainerTestUtil.Data(3, seed: 4));
            t.Progress = new Tracking.ConsoleProgress(console);
            t.Train();
            var rows = File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();
            var train = rows.Where(r => r.ContainsKey("loss")).ToList();
            Assert.Equal(4, train.Count);
            foreach (var k in new[] { "step", "loss", "grad_norm", "learning_rate", "epoch", "tokens_per_s" })
                Assert.True(train[0].ContainsKey(k), k);
            Assert.True(train[0]["tokens_per_s"]!.GetValue<double>() > 0);
            Assert.Equal(2, rows.Count(r => r.ContainsKey("eval_loss")));
            var events = Directory.GetFiles(Path.Combine(dir, "runs"), "events.out.tfevents.*");
            Assert.Single(events);
            Assert.True(new FileInfo(events[0]).Length > 100);
            var text = console.ToString();
            Assert.Contains("step 4/4", text);
            Assert.Contains("tok/s", text);
            Assert.Contains("ETA", text);
        }
        finally { TrainerTestUtil.Delete(dir); }
    }
}
