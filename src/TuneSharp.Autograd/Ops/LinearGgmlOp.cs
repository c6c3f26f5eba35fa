// Inference path for GGUF weights kept in their ggml type: y = x·Wᵀ (+ b) through GgmlQuantMatrix (activations quantized
// per block as ggml does). No backward: quantized GGUF weights are frozen and x gets no gradient through them.
using TuneSharp.Tensors;
using TuneSharp.Tensors.Kernels;
using TuneSharp.Tensors.Kernels.Quant;

namespace TuneSharp.Autograd.Ops;

public static class LinearGgmlOp
{
    /// <summary>x: (…, in) F32, w: ggml-quantized (out, in), b: (out) or null → y: (…, out). Throws when a gradient would be needed.</summary>
    public static Variable LinearGgml(this Tape tape, Variable x, GgmlQuantMatrix w, Variable? b = null, string? name = null)
    {
        const string op = "LinearGgml";
        ArgumentNullException.ThrowIfNull(w);
        OpUtil.RequireF32(x, op, "input");
        int n = w.Rows, k = w.Cols;
        int m = OpUtil.Rows(x.Value, k, op, $"input '{x.Name}' (ggml weight '{name}' is ({n}, {k}) {w.Type})");
        if (tape.NeedsGrad(x, b))
            throw new NotSupportedException($"{op}: '{name}' holds a quantized GGUF weight ({w.Type}), which is inference-only; load the model with its weights dequantized to train");
        var y = AutogradMemory.AllocateF32(new Shape(OpUtil.WithLast(x.Shape, n)));
        var ys = y.Span;
        w.MatMulTransB(x.Value.Span, ys, m);
        if (b != null)
        {
            var bs = b.Value.Span;
            for (int r = 0; r < m; r++) Elementwise.AddInPlace(bs, ys.Slice(r * n, n));
        }
        return tape.CreateOutput(y, false, name);
    }
}
