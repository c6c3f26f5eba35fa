// Everything the registry knows about one run: steps, parameters, metrics, artifacts, eval reports.
namespace TuneSharp.Pipelines.Registry;

public sealed record RunDetail(RunRow Run, IReadOnlyList<StepRow> Steps, IReadOnlyList<KeyValuePair<string, string>> Parameters,
    IReadOnlyList<MetricRow> Metrics, IReadOnlyList<ArtifactRow> Artifacts, IReadOnlyList<EvalReportRow> Reports)
{
    /// <summary>The last value of each metric (step.name → value), for lists and comparisons.</summary>
    public IReadOnlyDictionary<string, double> FinalMetrics =>
        Metrics.GroupBy(m => $"{m.Step}.{m.Name}").ToDictionary(g => g.Key, g => g.OrderBy(m => m.TrainStep).ThenBy(m => m.RowId).Last().Value);
}
