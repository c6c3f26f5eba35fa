// Elementwise product of two same-shape F32 variables.
using TuneSharp.Tensors.Kernels;

namespace TuneSharp.Autograd.Ops;

public static class MulOp
{
    /// <summary>y = a ⊙ b (same shapes); da = dy ⊙ b, db = dy ⊙ a.</summary>
    public static Variable Mul(this Tape tape, Variable a, Variable b, string? name = null)
    {
        const string op = "Mul";
        OpUtil.RequireF32(a, op, "left operand");
        OpUtil.RequireF32(b, op, "right operand");
        OpUtil.SameShape(a, b, op);
        bool needs = tape.NeedsGrad(a, b);
        var y = AutogradMemory.AllocateF32(a.Shape);
        Elementwise.Mul(a.Value.Span, b.Value.Span, y.Span);
        var output = tape.CreateOutput(y, needs, name);
        if (needs) tape.Record(new Node(output, a, b));
        return output;
    }

    private sealed class Node(Variable output, Variable a, Variable b) : TapeNode(output)
    {
        public override string OpName => "Mul";

        protected internal override void CollectSaved(ISet<Variable> saved)
        {
            if (b.RequiresGrad) saved.Add(a);
            if (a.RequiresGrad) saved.Add(b);
        }

        protected internal override void Backward()
        {
            var dy = Output.Grad!.Span;
            if (a.RequiresGrad) MulInto(dy, b.Value.Span, a);
            if (b.RequiresGrad) MulInto(dy, a.Value.Span, b);
        }

        private static void MulInto(ReadOnlySpan<float> dy, ReadOnlySpan<float> other, Variable target)
        {
            var dst = target.GradForWrite(out bool acc);
            if (!acc)
            {
                Elementwise.Mul(dy, other, dst);
                return;
            }
            var tmp = AutogradMemory.AllocateF32(target.Shape);
            Elementwise.Mul(dy, other, tmp.Span);
            Elementwise.AddInPlace(tmp.Span, dst);
            AutogradMemory.Free(tmp);
        }
    }
}
