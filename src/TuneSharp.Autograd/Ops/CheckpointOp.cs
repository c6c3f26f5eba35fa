// Gradient checkpointing (Chen et al. 2016, "Training Deep Nets with Sublinear Memory Cost"; torch.utils.checkpoint).
using TuneSharp.Tensors;

namespace TuneSharp.Autograd.Ops;

public static class CheckpointOp
{
    /// <summary>
    /// Runs <paramref name="block"/>(subTape, input) without recording (only the block's input and output stay
    /// alive), then in backward re-runs it on a recording sub-tape from the same dropout counter and
    /// backpropagates through it. Gradients reach <paramref name="input"/> and the block's parameters in the same
    /// order and into the same buffers as without checkpointing, so losses and gradients are bit-identical.
    /// The block must be a pure function of its input and parameters (it is called twice) and use only the tape
    /// it is given. In no-grad mode the block simply runs.
    /// </summary>
    public static Variable Checkpoint(this Tape tape, Func<Tape, Variable, Variable> block, Variable input, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(block);
        ulong counter = tape.RandomCounter;
        Tensor value;
        ValueOwnership ownership;
        bool sawGrad;
        using (var sub = new Tape(tape.Seed) { RandomCounter = counter, GradEnabled = false })
        {
            var result = block(sub, input);
            tape.RandomCounter = sub.RandomCounter;
            // Like torch.utils.checkpoint: the output needs a gradient when the input or any parameter the block used does.
            sawGrad = sub.SawGradInput || input.RequiresGrad || result.RequiresGrad;
            value = TakeResult(sub, result, out ownership);
        }
        bool needs = tape.GradEnabled && sawGrad;
        tape.SawGradInput |= sawGrad;
        var output = tape.CreateOutput(value, needs, name ?? "checkpoint", ownership);
        if (needs) tape.Record(new Node(output, block, input, tape.Seed, counter));
        return output;
    }

    /// <summary>The block result's tensor, moved out of the sub-tape (copied if the block returned a leaf or a view).</summary>
    private static Tensor TakeResult(Tape sub, Variable result, out ValueOwnership ownership)
    {
        if (sub.Owns(result) && result.Ownership == ValueOwnership.Counted) return sub.Detach(result, out ownership);
        var copy = AutogradMemory.Allocate(result.DType, result.Shape);
        result.Value.AsBytes().CopyTo(copy.AsBytes());
        ownership = ValueOwnership.Counted;
        return copy;
    }

    private sealed class Node(Variable output, Func<Tape, Variable, Variable> block, Variable input, ulong seed, ulong counter) : TapeNode(output)
    {
        public override string OpName => "Checkpoint";

        protected internal override void CollectSaved(ISet<Variable> saved) => saved.Add(input);

        protected internal override void Backward()
        {
            using var sub = new Tape(seed) { RandomCounter = counter };
            var result = block(sub, input);
            var g = Output.TakeGrad(out bool counted)!;
            sub.Backward(result, g, counted);
        }
    }
}
