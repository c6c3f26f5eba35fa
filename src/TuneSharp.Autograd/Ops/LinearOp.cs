// Linear layer y = x·Wᵀ (+ b) as in torch.nn.functional.linear; W (out, in) in any dtype, x and y F32.
using TuneSharp.Tensors;
using TuneSharp.Tensors.Kernels;

namespace TuneSharp.Autograd.Ops;

public static class LinearOp
{
    /// <summary>
    /// x: (…, in), w: (out, in) F32/BF16/F16, b: (out) or null → y: (…, out).
    /// Backward computes only what is needed: dx = dy·W if x requires grad; dW += dyᵀ·x and db += Σ dy only for
    /// trainable W/b (a frozen W never gets a buffer — the LoRA base path costs one GEMM in backward).
    /// </summary>
    public static Variable Linear(this Tape tape, Variable x, Variable w, Variable? b = null, string? name = null)
    {
        const string op = "Linear";
        OpUtil.RequireF32(x, op, "input");
        if (w.Value.Rank != 2) throw new ArgumentException($"{op}: weight '{w.Name}' must be (out, in), got {w.Shape}");
        int n = w.Shape[0], k = w.Shape[1];
        int m = OpUtil.Rows(x.Value, k, op, $"input '{x.Name}' (weight '{w.Name}' is {w.Shape})");
        if (b != null)
        {
            OpUtil.RequireF32(b, op, "bias");
            if (b.Value.Rank != 1 || b.Shape[0] != n) throw new ArgumentException($"{op}: bias '{b.Name}' has shape {b.Shape}, expected ({n})");
        }
        bool needs = tape.NeedsGrad(x, w, b);
        var y = AutogradMemory.AllocateF32(new Shape(OpUtil.WithLast(x.Shape, n)));
        var ys = y.Span;
        OpUtil.MatMulTransB(x.Value.Span, w.Value, ys, m, n, k, accumulate: false);
        if (b != null)
        {
            var bs = b.Value.Span;
            for (int r = 0; r < m; r++) Elementwise.AddInPlace(bs, ys.Slice(r * n, n));
        }
        var output = tape.CreateOutput(y, needs, name);
        if (needs) tape.Record(new Node(output, x, w, b, m, n, k));
        return output;
    }

    private sealed class Node(Variable output, Variable x, Variable w, Variable? b, int m, int n, int k) : TapeNode(output)
    {
        public override string OpName => "Linear";

        protected internal override void CollectSaved(ISet<Variable> saved)
        {
            if (w.RequiresGrad) saved.Add(x);
        }

        protected internal override void Backward()
        {
            var dy = Output.Grad!.Span;
            if (w.RequiresGrad)
            {
                var dw = w.GradForWrite(out bool acc);
                Gemm.MatMulTransA(dy, x.Value.Span, dw, m, n, k, acc);
            }
            if (b != null && b.RequiresGrad)
            {
                var db = b.GradForWrite(out bool acc);
                if (!acc) db.Clear();
                for (int r = 0; r < m; r++) Elementwise.AddInPlace(dy.Slice(r * n, n), db);
            }
            if (x.RequiresGrad)
            {
                var dx = x.GradForWrite(out bool acc);
                OpUtil.MatMul(dy, w.Value, dx, m, n, k, acc);
            }
        }
    }
}
