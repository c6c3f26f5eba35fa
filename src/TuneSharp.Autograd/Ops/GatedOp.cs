// Shared forward/backward of the gated MLP activations h = act(gate) ⊙ up (SwiGLU, GeGLU).
using TuneSharp.Tensors.Kernels;

namespace TuneSharp.Autograd.Ops;

internal static class GatedOp
{
    public static Variable Forward(Tape tape, Variable gate, Variable up, string? name, bool geluTanh)
    {
        string op = geluTanh ? "GeGlu" : "SwiGlu";
        OpUtil.RequireF32(gate, op, "gate");
        OpUtil.RequireF32(up, op, "up");
        OpUtil.SameShape(gate, up, op);
        bool needs = tape.NeedsGrad(gate, up);
        var h = AutogradMemory.AllocateF32(gate.Shape);
        if (geluTanh) Activations.GeGlu(gate.Value.Span, up.Value.Span, h.Span);
        else Activations.SwiGlu(gate.Value.Span, up.Value.Span, h.Span);
        var output = tape.CreateOutput(h, needs, name);
        if (needs) tape.Record(new Node(output, gate, up, geluTanh));
        return output;
    }

    private sealed class Node(Variable output, Variable gate, Variable up, bool geluTanh) : TapeNode(output)
    {
        public override string OpName => geluTanh ? "GeGlu" : "SwiGlu";

        protected internal override void CollectSaved(ISet<Variable> saved)
        {
            saved.Add(gate);
            saved.Add(up);
        }

        protected internal override void Backward()
        {
            var dg = OpUtil.BeginOverwrite(gate, gate.Shape, out var sg);
            var du = OpUtil.BeginOverwrite(up, up.Shape, out var su);
            if (geluTanh) Activations.GeGluBackward(Output.Grad!.Span, gate.Value.Span, up.Value.Span, dg, du);
            else Activations.SwiGluBackward(Output.Grad!.Span, gate.Value.Span, up.Value.Span, dg, du);
            OpUtil.EndOverwrite(gate, sg);
            OpUtil.EndOverwrite(up, su);
        }
    }
}
