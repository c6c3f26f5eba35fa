// Softmax over the last dimension (torch.softmax(x, dim=-1)), e.g. for MoE routers; attention uses its fused kernel instead.
using Kernels = TuneSharp.Tensors.Kernels;

namespace TuneSharp.Autograd.Ops;

public static class SoftmaxOp
{
    /// <summary>x: (…, n) → y = softmax(x) per row. Backward uses the output: dx = y ⊙ (dy − Σ dy⊙y).</summary>
    public static Variable Softmax(this Tape tape, Variable x, string? name = null)
    {
        OpUtil.RequireF32(x, "Softmax", "input");
        int cols = x.Shape[-1];
        int rows = OpUtil.Rows(x.Value, cols, "Softmax", "input");
        bool needs = tape.NeedsGrad(x);
        var y = AutogradMemory.AllocateF32(x.Shape);
        Kernels.Softmax.Forward(x.Value.Span, y.Span, rows, cols);
        var output = tape.CreateOutput(y, needs, name);
        if (needs) tape.Record(new Node(output, x, rows, cols));
        return output;
    }

    private sealed class Node(Variable output, Variable x, int rows, int cols) : TapeNode(output)
    {
        public override string OpName => "Softmax";

        protected internal override void CollectSaved(ISet<Variable> saved) => saved.Add(Output);

        protected internal override void Backward()
        {
            var dx = OpUtil.BeginOverwrite(x, x.Shape, out var scratch);
            Kernels.Softmax.Backward(Output.Value.Span, Output.Grad!.Span, dx, rows, cols);
            OpUtil.EndOverwrite(x, scratch);
        }
    }
}
