// Rotary position embedding (Su et al. 2021, RoFormer) in HF's rotate_half layout (modeling_llama.apply_rotary_pos_emb).
using TuneSharp.Tensors;
using Kernels = TuneSharp.Tensors.Kernels;

namespace TuneSharp.Autograd.Ops;

public static class RopeOp
{
    /// <summary>
    /// x: (N, heads, hs) or any shape with N·heads·hs elements (e.g. (B, T, nh, hs)) → same shape, each head rotated
    /// by its token's angle. Backward applies the inverse rotation. The table must cover N tokens with hs/2 frequencies.
    /// </summary>
    public static Variable Rope(this Tape tape, Variable x, RopeTable table, int heads, string? name = null)
    {
        const string op = "Rope";
        OpUtil.RequireF32(x, op, "input");
        int hs = table.HalfDim * 2;
        if (x.Value.ElementCount != (long)table.Tokens * heads * hs)
            throw new ArgumentException($"{op}: input '{x.Name}' {x.Shape} is not (N={table.Tokens}, heads={heads}, hs={hs})");
        bool needs = tape.NeedsGrad(x);
        var y = AutogradMemory.AllocateF32(x.Shape);
        Kernels.Rope.Forward(x.Value.Span, table.Cos, table.Sin, y.Span, table.Tokens, heads, hs);
        var output = tape.CreateOutput(y, needs, name);
        if (needs) tape.Record(new Node(output, x, table, heads, hs));
        return output;
    }

    private sealed class Node(Variable output, Variable x, RopeTable table, int heads, int hs) : TapeNode(output)
    {
        public override string OpName => "Rope";

        protected internal override void Backward()
        {
            var dx = OpUtil.BeginOverwrite(x, x.Shape, out var scratch);
            Kernels.Rope.Backward(Output.Grad!.Span, table.Cos, table.Sin, dx, table.Tokens, heads, hs);
            OpUtil.EndOverwrite(x, scratch);
        }
    }
}
