// Plain matrix product y = a·b of two F32 variables, a: (…, m?, k) flattened to (M, K), b: (K, N).
using TuneSharp.Tensors;
using TuneSharp.Tensors.Kernels;

namespace TuneSharp.Autograd.Ops;

public static class MatMulOp
{
    /// <summary>
    /// a: (…, K), b: (K, N) → y: (…, N). Use <see cref="LinearOp.Linear"/> for nn.Linear-layout (out, in) weights;
    /// this form is for products of two activations or (K, N)-layout matrices. Gradients: da = dy·bᵀ, db = aᵀ·dy.
    /// </summary>
    public static Variable MatMul(this Tape tape, Variable a, Variable b, string? name = null)
    {
        const string op = "MatMul";
        OpUtil.RequireF32(a, op, "left operand");
        OpUtil.RequireF32(b, op, "right operand");
        if (b.Value.Rank != 2) throw new ArgumentException($"{op}: right operand '{b.Name}' must be (K, N), got {b.Shape}");
        int kk = b.Shape[0], nn = b.Shape[1];
        int m = OpUtil.Rows(a.Value, kk, op, $"left operand '{a.Name}' (right is {b.Shape})");
        bool needs = tape.NeedsGrad(a, b);
        var y = AutogradMemory.AllocateF32(new Shape(OpUtil.WithLast(a.Shape, nn)));
        // Gemm.MatMul computes out (m, k') = lhs (m, n') · rhs (n', k'): here n' = K, k' = N.
        Gemm.MatMul(a.Value.Span, b.Value.Span, y.Span, m, kk, nn);
        var output = tape.CreateOutput(y, needs, name);
        if (needs) tape.Record(new Node(output, a, b, m, kk, nn));
        return output;
    }

    private sealed class Node(Variable output, Variable a, Variable b, int m, int kk, int nn) : TapeNode(output)
    {
        public override string OpName => "MatMul";

        protected internal override void CollectSaved(ISet<Variable> saved)
        {
            if (b.RequiresGrad) saved.Add(a);
            if (a.RequiresGrad) saved.Add(b);
        }

        protected internal override void Backward()
        {
            var dy = Output.Grad!.Span;
            if (b.RequiresGrad)
            {
                // db (K, N) = aᵀ (K, m) · dy (m, N): MatMulTransA with "dy" = a, "x" = dy.
                var db = b.GradForWrite(out bool acc);
                Gemm.MatMulTransA(a.Value.Span, dy, db, m, kk, nn, acc);
            }
            if (a.RequiresGrad)
            {
                // da (m, K) = dy (m, N) · bᵀ: MatMulTransB with w = b viewed as (K, N) = (n, k).
                var da = a.GradForWrite(out bool acc);
                Gemm.MatMulTransB(dy, b.Value.Span, da, m, kk, nn, acc);
            }
        }
    }
}
