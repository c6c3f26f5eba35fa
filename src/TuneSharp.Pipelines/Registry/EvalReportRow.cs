// An evaluation report a step produced: the report file, its plots and its summary JSON.
namespace TuneSharp.Pipelines.Registry;

public sealed record EvalReportRow(string Step, string Path, string Summary, IReadOnlyList<string> Plots);
