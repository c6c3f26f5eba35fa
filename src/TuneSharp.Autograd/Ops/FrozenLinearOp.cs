// Linear layer over a frozen weight source of any storage format (NF4 for QLoRA, Dettmers et al. 2023): y = x·Wᵀ, dx = dy·W.
using TuneSharp.Tensors;
using TuneSharp.Tensors.Kernels;

namespace TuneSharp.Autograd.Ops;

public static class FrozenLinearOp
{
    /// <summary>
    /// x: (…, k) → y: (…, n) with W (n, k) = <paramref name="weights"/> (dequantized inside GEMM packing, never as a
    /// whole). The weight is frozen by construction: backward computes only dx, and only when x requires it — the
    /// QLoRA base path (<see cref="LinearNf4Op.LinearNf4"/> is the NF4 shorthand with a bias). <paramref name="owner"/> (e.g. the <see cref="Nf4Matrix"/> whose pinned arrays the struct
    /// points into) is kept alive until the node is released.
    /// </summary>
    public static Variable Linear<TWeights>(this Tape tape, Variable x, TWeights weights, object? owner, string? name = null)
        where TWeights : struct, IGemmWeights
    {
        const string op = "Linear";
        OpUtil.RequireF32(x, op, "input");
        int n = weights.Rows, k = weights.Cols;
        int m = OpUtil.Rows(x.Value, k, op, $"input '{x.Name}' (weight source is ({n}, {k}))");
        bool needs = tape.NeedsGrad(x);
        var y = AutogradMemory.AllocateF32(new Shape(OpUtil.WithLast(x.Shape, n)));
        Gemm.MatMulTransB(x.Value.Span, in weights, y.Span, m);
        GC.KeepAlive(owner);
        var output = tape.CreateOutput(y, needs, name);
        if (needs) tape.Record(new Node<TWeights>(output, x, weights, owner, m));
        return output;
    }

    private sealed class Node<TWeights>(Variable output, Variable x, TWeights weights, object? owner, int m) : TapeNode(output)
        where TWeights : struct, IGemmWeights
    {
        private object? _owner = owner;

        public override string OpName => "Linear";

        protected internal override void Backward()
        {
            var dx = x.GradForWrite(out bool acc);
            Gemm.MatMul(Output.Grad!.Span, in weights, dx, m, acc);
            GC.KeepAlive(_owner);
        }

        protected internal override void Release() => _owner = null;
    }
}
