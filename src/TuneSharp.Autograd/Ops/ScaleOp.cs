// Multiplication of an F32 variable by a constant (LoRA's alpha / r, embedding scale).
using TuneSharp.Tensors.Kernels;

namespace TuneSharp.Autograd.Ops;

public static class ScaleOp
{
    /// <summary>y = s · x; dx += s · dy.</summary>
    public static Variable Scale(this Tape tape, Variable x, float s, string? name = null)
    {
        OpUtil.RequireF32(x, "Scale", "input");
        bool needs = tape.NeedsGrad(x);
        var y = AutogradMemory.AllocateF32(x.Shape);
        Elementwise.Scale(x.Value.Span, s, y.Span);
        var output = tape.CreateOutput(y, needs, name);
        if (needs) tape.Record(new Node(output, x, s));
        return output;
    }

    private sealed class Node(Variable output, Variable x, float s) : TapeNode(output)
    {
        public override string OpName => "Scale";

        protected internal override void Backward()
        {
            var dy = Output.Grad!.Span;
            var dx = x.GradForWrite(out bool acc);
            if (acc) Elementwise.AddScaled(dy, s, dx);
            else Elementwise.Scale(dy, s, dx);
        }
    }
}
