// What the trainer does when a loss or gradient is NaN/Inf.
namespace TuneSharp.Training;

/// <summary>nan_policy values: abort (stop with TrainingDivergedException, weights unchanged) or skip (drop the step, count it).</summary>
public enum NanPolicy
{
    Abort,
    Skip,
}
