// The states a step passes through in one pipeline run.
namespace TuneSharp.Pipelines.Running;

public enum StepStatus
{
    Pending,
    Running,
    /// <summary>Skipped: its cache key matched a finished output.</summary>
    Cached,
    Succeeded,
    Failed,
    /// <summary>Not run because a step it needs failed or the run was interrupted.</summary>
    Skipped,
}
