// The run registry: a pipeline run's steps, parameters, metrics over time (metrics.jsonl), artifacts and eval report; compare.
using TuneSharp.Pipelines.Registry;

namespace TuneSharp.Pipelines.Tests;

public sealed class RegistryTests
{
    private const string Yaml = """
        name: reg
        steps:
          fit:
            kind: shell
            env: {LR: "LRVALUE"}
            run: |
              for s in 1 2 3; do echo "{\"step\": $s, \"loss\": $((4 - s)).5, \"learning_rate\": $LR}" >> $OUT/metrics.jsonl; done
          score:
            kind: shell
            needs: [fit]
            run: |
              echo '{"rougeL": 0.25}' > $OUT/report.json; printf 'PNG' > $OUT/plot.png
        """;

    [Fact]
    public void RecordsRunsStepsMetricsArtifactsAndReports()
    {
        using var f = new PipelineFixture();
        var reg = new RunRegistry(f.File("registry.db"));
        var r1 = f.Runner(Yaml.Replace("LRVALUE", "0.1"), reg);
        Assert.True(r1.RunAsync().GetAwaiter().GetResult());
        var r2 = f.Runner(Yaml.Replace("LRVALUE", "0.2").Replace("LR: ", "LR: ").Replace("name: reg", "name: reg"), reg);
        Assert.True(r2.RunAsync().GetAwaiter().GetResult());

        var runs = reg.ListRuns();
        Assert.Equal(2, runs.Count);
        var d = reg.GetRun(r1.RunId)!;
        Assert.Equal("succeeded", d.Run.Status);
        Assert.Equal(["fit", "score"], d.Steps.Select(s => s.Name));
        Assert.Equal(["fit"], d.Steps[1].Needs);
        Assert.Equal(3, d.Metrics.Count(m => m.Name == "loss"));
        Assert.Equal(1.5, d.FinalMetrics["fit.loss"]);
        Assert.Contains(d.Artifacts, a => a.Path.EndsWith("metrics.jsonl", StringComparison.Ordinal));
        Assert.Single(d.Reports);
        Assert.Single(d.Reports[0].Plots);
        Assert.Contains("rougeL", d.Reports[0].Summary);

        var cmp = RunComparison.Build([d, reg.GetRun(r2.RunId)!]);
        Assert.Contains(cmp.Rows, row => row.Key == "fit.learning_rate" && row.Values[0] == "0.1" && row.Values[1] == "0.2");
        Assert.Equal(2, reg.MetricsSince(r1.RunId, d.Metrics[0].RowId).Count(m => m.Name == "loss"));
    }

    [Fact]
    public void StandaloneTrainingRunsAreRecorded()
    {
        using var f = new PipelineFixture();
        var reg = new RunRegistry(f.File("registry.db"));
        var outDir = Path.Combine(f.Dir, "out");
        Directory.CreateDirectory(outDir);
        long id = reg.StartTrainingRun("out", outDir, RegistryParameters.FlattenYaml("training:\n  learning_rate: 2e-4\nlora:\n  target_modules: [q_proj, v_proj]\n"), "test");
        File.WriteAllText(Path.Combine(outDir, "metrics.jsonl"), "{\"step\": 5, \"loss\": 2.0}\n{\"step\": 10, \"loss\": 1.0, \"eval_loss\": 1.5}\n");
        reg.FinishTrainingRun(id, "completed", outDir);
        var d = reg.GetRun(id)!;
        Assert.Equal("train", d.Run.Kind);
        Assert.Equal("completed", d.Run.Status);
        Assert.Contains(new KeyValuePair<string, string>("training.learning_rate", "2e-4"), d.Parameters);
        Assert.Contains(new KeyValuePair<string, string>("lora.target_modules", "[q_proj, v_proj]"), d.Parameters);
        Assert.Equal(1.5, d.FinalMetrics["train.eval_loss"]);
    }
}
