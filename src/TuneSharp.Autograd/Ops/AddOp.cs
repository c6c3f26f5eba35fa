// Elementwise sum of two same-shape F32 variables (residual connections, LoRA's base + delta).
using TuneSharp.Tensors.Kernels;

namespace TuneSharp.Autograd.Ops;

public static class AddOp
{
    /// <summary>y = a + b (same shapes). Backward hands dy to one input without a copy when it has no gradient yet.</summary>
    public static Variable Add(this Tape tape, Variable a, Variable b, string? name = null)
    {
        const string op = "Add";
        OpUtil.RequireF32(a, op, "left operand");
        OpUtil.RequireF32(b, op, "right operand");
        OpUtil.SameShape(a, b, op);
        bool needs = tape.NeedsGrad(a, b);
        var y = AutogradMemory.AllocateF32(a.Shape);
        Elementwise.Add(a.Value.Span, b.Value.Span, y.Span);
        var output = tape.CreateOutput(y, needs, name);
        if (needs) tape.Record(new Node(output, a, b));
        return output;
    }

    private sealed class Node(Variable output, Variable a, Variable b) : TapeNode(output)
    {
        public override string OpName => "Add";

        protected internal override void Backward() => PassThrough(Output, b, a);
    }

    /// <summary>
    /// Gives dy to <paramref name="first"/> (accumulated) and then to <paramref name="last"/>, which takes the
    /// output's gradient buffer itself when it has none (the usual residual case: no copy, no allocation).
    /// </summary>
    internal static void PassThrough(Variable output, Variable? first, Variable? last)
    {
        var dy = output.Grad!;
        if (first != null && first.RequiresGrad) first.AccumulateGrad(dy.Span);
        if (last != null && last.RequiresGrad)
        {
            var g = output.TakeGrad(out bool counted)!;
            if (!last.TryAdoptGrad(g, counted))
            {
                last.AccumulateGrad(g.Span);
                if (counted) AutogradMemory.Free(g);
                else g.Dispose();
            }
        }
    }
}
