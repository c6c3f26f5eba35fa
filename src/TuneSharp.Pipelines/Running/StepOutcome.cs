// What happened to one step in a run: status, attempts, time and where its output and log are.
namespace TuneSharp.Pipelines.Running;

public sealed class StepOutcome
{
    public required string Name { get; init; }

    public required string Kind { get; init; }

    public StepStatus Status { get; set; } = StepStatus.Pending;

    public int Attempts { get; set; }

    public string? Key { get; set; }

    public string? OutputHash { get; set; }

    public DateTimeOffset? Started { get; set; }

    public DateTimeOffset? Ended { get; set; }

    public int? ExitCode { get; set; }

    public required string OutputDir { get; init; }

    public required string LogPath { get; init; }

    /// <summary>The temporary folder of the attempt in progress (live metrics are read from it).</summary>
    public string? LiveDir { get; set; }
}
