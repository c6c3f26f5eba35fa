// The scheduler's bounded queue is full (or it is shutting down): the server answers 429/503 with Retry-After.
namespace TuneSharp.Inference.Scheduling;

public sealed class QueueFullException : TuneSharpException
{
    public QueueFullException(string message, bool shuttingDown = false) : base(message) => ShuttingDown = shuttingDown;

    /// <summary>True when the scheduler no longer accepts work because it is stopping.</summary>
    public bool ShuttingDown { get; }

    public override ExitCode ExitCode => ExitCode.External;
}
