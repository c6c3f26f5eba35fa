// Runs one step attempt somewhere (this machine, a Slurm cluster) and reports its exit code.
namespace TuneSharp.Pipelines.Running;

public interface IStepExecutor
{
    /// <summary>Short name for logs and the registry ("local", "slurm").</summary>
    string Name { get; }

    /// <summary>Runs the job to the end; its output goes to <see cref="StepJob.LogPath"/>. Cancelling stops it.</summary>
    Task<int> RunAsync(StepJob job, CancellationToken cancellationToken);
}
