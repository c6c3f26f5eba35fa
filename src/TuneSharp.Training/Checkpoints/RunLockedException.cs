// Raised when a run's output folder is locked by another live training (or cannot be locked at all).
namespace TuneSharp.Training.Checkpoints;

public sealed class RunLockedException(string message, Exception? inner = null) : TuneSharpException(message, inner)
{
    public override ExitCode ExitCode => ExitCode.Output;
}
