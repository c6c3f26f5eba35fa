// What SftTrainer.Train returns: how the run ended and its headline numbers.
namespace TuneSharp.Training.Sft;

/// <summary>
/// <see cref="Status"/>: completed, early stopped, or interrupted (cancellation: a checkpoint was saved).
/// <see cref="TrainLoss"/> is the mean step loss over the steps run in this process (transformers' train_loss).
/// </summary>
public sealed record TrainOutcome(TrainStatus Status, int GlobalStep, int MaxSteps, double Epoch, double TrainLoss, double RuntimeSeconds,
    string? BestModelCheckpoint, double? BestMetric, string? LastCheckpoint, IReadOnlyList<int> SkippedSteps);
