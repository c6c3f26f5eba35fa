// Thrown when a loss or gradient becomes NaN/Inf and nan_policy is "abort" (weights are left as before the step).
namespace TuneSharp.Training.Sft;

public sealed class TrainingDivergedException(string message, int step) : TuneSharpException(message)
{
    /// <summary>The 1-based optimizer step that produced the non-finite value.</summary>
    public int Step { get; } = step;

    public override ExitCode ExitCode => ExitCode.Training;
}
