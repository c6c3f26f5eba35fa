// What a trainer optimises, apart from the loop: the rows, the loss of a micro-batch and extra metrics. SFT's
// token cross-entropy is the built-in case of SftTrainer; preference methods (DPO/ORPO/SimPO) plug in here and reuse
// the trainer's optimizer, schedule, logging, checkpoints and resume.
using System.Text.Json.Nodes;
using TuneSharp.Autograd;

namespace TuneSharp.Training;

/// <summary>
/// A training objective over <see cref="Rows"/> training rows. The trainer orders rows (seeded per epoch), cuts
/// micro-batches of per_device_train_batch_size and calls <see cref="Loss"/> for each; the returned scalar is
/// back-propagated with 1/(micro-batches in the step), as for SFT. Metrics the objective gathers per micro-batch are
/// averaged over the logging window (TRL's store_metrics / log) and written beside loss; their running sums are part
/// of the checkpoint so a resumed run logs the same numbers.
/// </summary>
public abstract class TrainingObjective
{
    /// <summary>Training rows (pairs for preference data).</summary>
    public abstract int Rows { get; }

    /// <summary>Evaluation rows, 0 when there is no evaluation data.</summary>
    public virtual int EvalRows => 0;

    /// <summary>Called once before the first step (after a resume has loaded weights), e.g. to precompute reference values.</summary>
    public virtual void Prepare(Action<string> progress) { }

    /// <summary>
    /// The loss of the training rows <paramref name="rows"/> (indices into the training set) on <paramref name="tape"/>,
    /// with dropout on. <paramref name="tokens"/> returns the real tokens the micro-batch fed (tokens/s).
    /// </summary>
    public abstract Variable Loss(Tape tape, IReadOnlyList<int> rows, out long tokens);

    /// <summary>Called after the micro-batch's backward and tape reset: release what <see cref="Loss"/> kept alive for backward.</summary>
    public virtual void AfterBackward() { }

    /// <summary>Mean loss (and metrics prefixed eval_) over the evaluation rows with no gradient and dropout off.</summary>
    public virtual (double Loss, JsonObject Metrics) Evaluate(int batchSize) => throw new InvalidOperationException("no evaluation data");

    /// <summary>Window averages of the metrics gathered since the last call (TRL names), then clears the window.</summary>
    public abstract JsonObject DrainMetrics();

    /// <summary>Open metric window for checkpoints.</summary>
    public abstract JsonObject SaveState();

    /// <summary>Restores <see cref="SaveState"/>'s window (null: a checkpoint without one).</summary>
    public abstract void LoadState(JsonObject? state);

    /// <summary>Description for the training_args / trainer extra state (method and its settings).</summary>
    public abstract string Describe();
}
