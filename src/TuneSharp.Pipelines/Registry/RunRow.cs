// One run in the registry: a pipeline run or a training run started on its own.
namespace TuneSharp.Pipelines.Registry;

public sealed record RunRow(long Id, string Name, string Kind, string Status, string? Source, string? WorkDir, string? Executor,
    DateTimeOffset Started, DateTimeOffset? Ended);
