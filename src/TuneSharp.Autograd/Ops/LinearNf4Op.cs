// QLoRA base path: y = x·Ŵᵀ (+ b) with a frozen NF4 weight Ŵ (bitsandbytes Linear4bit forward; dequantized inside GEMM packing).
using TuneSharp.Tensors;
using TuneSharp.Tensors.Kernels;

namespace TuneSharp.Autograd.Ops;

public static class LinearNf4Op
{
    /// <summary>
    /// x: (…, in) F32, w: NF4 (out, in) frozen, b: (out) or null → y: (…, out), computed in F32.
    /// Backward: dx = dy·Ŵ through the same NF4 source (no gradient for Ŵ — it is frozen); db for a trainable bias.
    /// </summary>
    public static Variable LinearNf4(this Tape tape, Variable x, Nf4Matrix w, Variable? b = null, string? name = null)
    {
        const string op = "LinearNf4";
        ArgumentNullException.ThrowIfNull(w);
        OpUtil.RequireF32(x, op, "input");
        int n = w.Rows, k = w.Cols;
        int m = OpUtil.Rows(x.Value, k, op, $"input '{x.Name}' (NF4 weight '{name}' is ({n}, {k}))");
        if (b != null)
        {
            OpUtil.RequireF32(b, op, "bias");
            if (b.Value.Rank != 1 || b.Shape[0] != n) throw new ArgumentException($"{op}: bias '{b.Name}' has shape {b.Shape}, expected ({n})");
        }
        bool needs = tape.NeedsGrad(x, b);
        var y = AutogradMemory.AllocateF32(new Shape(OpUtil.WithLast(x.Shape, n)));
        var ys = y.Span;
        var src = w.AsGemmWeights();
        Gemm.MatMulTransB(x.Value.Span, in src, ys, m, accumulate: false);
        GC.KeepAlive(w);
        if (b != null)
        {
            var bs = b.Value.Span;
            for (int r = 0; r < m; r++) Elementwise.AddInPlace(bs, ys.Slice(r * n, n));
        }
        var output = tape.CreateOutput(y, needs, name);
        if (needs) tape.Record(new Node(output, x, w, b, m, n));
        return output;
    }

    private sealed class Node(Variable output, Variable x, Nf4Matrix w, Variable? b, int m, int n) : TapeNode(output)
    {
        public override string OpName => "LinearNf4";

        protected internal override void Backward()
        {
            var dy = Output.Grad!.Span;
            if (b != null && b.RequiresGrad)
            {
                var db = b.GradForWrite(out bool acc);
                if (!acc) db.Clear();
                for (int r = 0; r < m; r++) Elementwise.AddInPlace(dy.Slice(r * n, n), db);
            }
            if (x.RequiresGrad)
            {
                var dx = x.GradForWrite(out bool acc);
                var src = w.AsGemmWeights();
                Gemm.MatMul(dy, in src, dx, m, acc);
                GC.KeepAlive(w);
            }
        }
    }
}
