// How one forward runs: on which tape (recording for training, or no-grad for inference), in train or eval mode,
// and which LoRA adapters apply to which rows. Every module forward takes it, so one forward serves all callers.
using TuneSharp.Autograd;

namespace TuneSharp.Nn;

/// <summary>
/// The execution context of a forward. <see cref="Training"/> turns dropout on (torch module.train()); a tape in
/// no-grad mode records nothing, and modules then release their intermediates as soon as they are consumed
/// (<see cref="Done"/>), so inference holds one layer's activations at a time.
/// </summary>
public sealed class ForwardContext
{
    public ForwardContext(Tape tape, AdapterSelection? adapters = null, bool training = true)
    {
        Tape = tape ?? throw new ArgumentNullException(nameof(tape));
        Adapters = adapters ?? AdapterSelection.Default;
        Training = training;
    }

    public Tape Tape { get; }

    /// <summary>Which adapter each row uses.</summary>
    public AdapterSelection Adapters { get; }

    /// <summary>Train mode: LoRA dropout is applied.</summary>
    public bool Training { get; }

    /// <summary>False when the tape records nothing (inference, evaluation, a checkpoint's first pass).</summary>
    public bool Recording => Tape.GradEnabled;

    /// <summary>An inference context: eval mode on a tape the caller has put in no-grad mode.</summary>
    public static ForwardContext Inference(Tape tape, AdapterSelection? adapters = null) => new(tape, adapters, training: false);

    /// <summary>
    /// Marks an intermediate as consumed: without recording, its buffer goes back to the pool now. With recording it
    /// stays (backward may read it; the tape frees it).
    /// </summary>
    public void Done(Variable v)
    {
        if (!Tape.GradEnabled) Tape.Release(v);
    }
}
