// Plain (ungated) activations for non-GLU MLPs: SiLU (Elfwing et al. 2017) and tanh-approximated GELU (Hendrycks & Gimpel 2016).
using TuneSharp.Tensors.Kernels;

namespace TuneSharp.Autograd.Ops;

public static class ActivationOp
{
    /// <summary>y = x·σ(x), elementwise.</summary>
    public static Variable Silu(this Tape tape, Variable x, string? name = null) => Forward(tape, x, name, geluTanh: false);

    /// <summary>y = gelu_tanh(x) (HF "gelu_pytorch_tanh" / "gelu_new"), elementwise.</summary>
    public static Variable GeluTanh(this Tape tape, Variable x, string? name = null) => Forward(tape, x, name, geluTanh: true);

    private static Variable Forward(Tape tape, Variable x, string? name, bool geluTanh)
    {
        OpUtil.RequireF32(x, geluTanh ? "GeluTanh" : "Silu", "input");
        bool needs = tape.NeedsGrad(x);
        var y = AutogradMemory.AllocateF32(x.Shape);
        if (geluTanh) Activations.GeluTanh(x.Value.Span, y.Span);
        else Activations.Silu(x.Value.Span, y.Span);
        var output = tape.CreateOutput(y, needs, name);
        if (needs) tape.Record(new Node(output, x, geluTanh));
        return output;
    }

    private sealed class Node(Variable output, Variable x, bool geluTanh) : TapeNode(output)
    {
        public override string OpName => geluTanh ? "GeluTanh" : "Silu";

        protected internal override void CollectSaved(ISet<Variable> saved) => saved.Add(x);

        protected internal override void Backward()
        {
            var dx = OpUtil.BeginOverwrite(x, x.Shape, out var scratch);
            if (geluTanh) Activations.GeluTanhBackward(Output.Grad!.Span, x.Value.Span, dx);
            else Activations.SiluBackward(Output.Grad!.Span, x.Value.Span, dx);
            OpUtil.EndOverwrite(x, scratch);
        }
    }
}
