// RMSNorm (Zhang & Sennrich 2019; HF LlamaRMSNorm, and GemmaRMSNorm with the (1 + w) weight) over the last dimension.
using TuneSharp.Tensors;
using Kernels = TuneSharp.Tensors.Kernels;

namespace TuneSharp.Autograd.Ops;

public static class RmsNormOp
{
    /// <summary>
    /// x: (…, C), weight: (C) → y: (…, C) = x·rstd·w′ with w′ = w, or 1 + w when <paramref name="addOneToWeight"/> (Gemma).
    /// Saves rstd (one float per row) for backward. A non-F32 (frozen) weight is widened per call.
    /// </summary>
    public static Variable RmsNorm(this Tape tape, Variable x, Variable weight, float eps, bool addOneToWeight = false, string? name = null)
    {
        const string op = "RmsNorm";
        OpUtil.RequireF32(x, op, "input");
        if (weight.Value.Rank != 1) throw new ArgumentException($"{op}: weight '{weight.Name}' must be (C), got {weight.Shape}");
        int cols = weight.Shape[0];
        int rows = OpUtil.Rows(x.Value, cols, op, $"input '{x.Name}' (weight '{weight.Name}' is {weight.Shape})");
        bool needs = tape.NeedsGrad(x, weight);
        var y = AutogradMemory.AllocateF32(x.Shape);
        var rstd = needs ? AutogradMemory.AllocateF32(new Shape(rows)) : null;
        using (var wide = OpUtil.WidenIfNeeded(weight.Value))
            Kernels.RmsNorm.Forward(x.Value.Span, (wide ?? weight.Value).Span, y.Span, rstd != null ? rstd.Span : default, rows, cols, eps, addOneToWeight);
        var output = tape.CreateOutput(y, needs, name);
        if (needs) tape.Record(new Node(output, x, weight, rstd!, rows, cols, addOneToWeight));
        return output;
    }

    private sealed class Node(Variable output, Variable x, Variable weight, Tensor rstd, int rows, int cols, bool addOne) : TapeNode(output)
    {
        private Tensor? _rstd = rstd;

        public override string OpName => "RmsNorm";

        protected internal override void CollectSaved(ISet<Variable> saved) => saved.Add(x);

        protected internal override void Backward()
        {
            Span<float> dw = default;
            if (weight.RequiresGrad)
            {
                dw = weight.GradForWrite(out bool acc);
                if (!acc) dw.Clear();
            }
            var dx = OpUtil.BeginOverwrite(x, x.Shape, out var scratch);
            using (var wide = OpUtil.WidenIfNeeded(weight.Value))
                Kernels.RmsNorm.Backward(Output.Grad!.Span, x.Value.Span, (wide ?? weight.Value).Span, _rstd!.Span, dx, dw, rows, cols, addOne);
            OpUtil.EndOverwrite(x, scratch);
        }

        protected internal override void Release()
        {
            if (_rstd != null) AutogradMemory.Free(_rstd);
            _rstd = null;
        }
    }
}
