// One step of a run in the registry, with the needs that draw its DAG.
namespace TuneSharp.Pipelines.Registry;

public sealed record StepRow(string Name, string Kind, string Status, int Attempts, bool Cached, DateTimeOffset? Started, DateTimeOffset? Ended,
    string? LogPath, string? OutputDir, IReadOnlyList<string> Needs, int? ExitCode);
