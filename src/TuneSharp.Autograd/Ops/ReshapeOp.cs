// Reshape as a view (no copy): (B·T, nh·hs) ↔ (B, T, nh, hs) and the like.
namespace TuneSharp.Autograd.Ops;

public static class ReshapeOp
{
    /// <summary>A view of <paramref name="x"/> with another shape (one dimension may be −1); the gradient passes through without a copy.</summary>
    public static Variable Reshape(this Tape tape, Variable x, params int[] shape)
    {
        bool needs = tape.NeedsGrad(x);
        var view = x.Value.Reshape(shape);
        var output = tape.CreateViewOutput(view, x, needs, x.Name);
        if (needs) tape.Record(new Node(output, x));
        return output;
    }

    private sealed class Node(Variable output, Variable x) : TapeNode(output)
    {
        public override string OpName => "Reshape";

        protected internal override void Backward() => AddOp.PassThrough(Output, null, x);
    }
}
