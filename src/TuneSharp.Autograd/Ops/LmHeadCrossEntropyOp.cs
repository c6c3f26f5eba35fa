// Fused LM head + token cross-entropy (mean over labels ≠ −100, as transformers' ForCausalLMLoss) without (N, V) logits.
using TuneSharp.Tensors;
using TuneSharp.Tensors.Kernels;
using Kernels = TuneSharp.Tensors.Kernels;

namespace TuneSharp.Autograd.Ops;

public static class LmHeadCrossEntropyOp
{
    /// <summary>
    /// hidden: (N, C) (or (…, C)), weight: (V, C) any dtype, labels: (N) already shifted (label i scores row i;
    /// −100 = ignored) → scalar loss = Σ token losses / divisor, divisor = <paramref name="tokenCount"/> when given
    /// (e.g. the counted tokens of a whole accumulation step, transformers' num_items_in_batch) else this batch's
    /// counted tokens; an all-ignored batch gives loss 0 and zero gradients. Gemma-2 final-logit softcap via
    /// <paramref name="softCap"/>.
    /// <para>
    /// Where the gradient is computed — the loss is the last node, so backward always follows directly:
    /// with a frozen head (LoRA/QLoRA, the common case) the kernel's fused forward+backward runs here, once, and
    /// dhidden (N, C) is kept for backward, which only scales it by the upstream gradient (1 for a loss: no work,
    /// the buffer is handed over). Recomputing would cost a second (N, C)·(C, V) GEMM, the largest in small models.
    /// With a trainable head the dW contribution needs the upstream scale and a (V, C) buffer, so forward computes
    /// the loss only and backward re-runs the fused kernel, accumulating dW straight into the weight's gradient.
    /// </para>
    /// </summary>
    public static Variable LmHeadCrossEntropy(this Tape tape, Variable hidden, Variable weight, ReadOnlyMemory<int> labels,
        float softCap = 0f, int? tokenCount = null, int chunkRows = 0, string? name = null)
    {
        const string op = "LmHeadCrossEntropy";
        OpUtil.RequireF32(hidden, op, "hidden");
        if (weight.Value.Rank != 2) throw new ArgumentException($"{op}: weight '{weight.Name}' must be (V, C), got {weight.Shape}");
        int v = weight.Shape[0], c = weight.Shape[1];
        int n = OpUtil.Rows(hidden.Value, c, op, $"hidden '{hidden.Name}' (weight '{weight.Name}' is {weight.Shape})");
        if (labels.Length != n) throw new ArgumentException($"{op}: {labels.Length} labels for {n} hidden rows");
        if (tokenCount is < 0) throw new ArgumentOutOfRangeException(nameof(tokenCount), $"{op}: tokenCount {tokenCount} < 0");
        int count = tokenCount ?? Kernels.LmHeadCrossEntropy.CountTargets(labels.Span);
        float gradScale = count > 0 ? 1f / count : 0f;
        bool needs = tape.NeedsGrad(hidden, weight);
        var shape = new Problem(n, c, v, softCap, chunkRows, gradScale);
        Tensor? dHidden = null;
        LmHeadCrossEntropyResult result;
        if (needs && !weight.RequiresGrad)
        {
            dHidden = AutogradMemory.AllocateF32(hidden.Shape);
            result = Fused(hidden.Value.Span, weight.Value, labels.Span, dHidden.Span, default, shape, gradScale);
        }
        else result = ForwardOnly(hidden.Value.Span, weight.Value, labels.Span, shape);
        var loss = AutogradMemory.AllocateF32(new Shape());
        loss.Span[0] = count > 0 ? (float)(result.LossSum / count) : 0f;
        var output = tape.CreateOutput(loss, needs, name ?? "loss");
        if (needs) tape.Record(new Node(output, hidden, weight, labels, shape, dHidden));
        return output;
    }

    private readonly record struct Problem(int N, int C, int V, float SoftCap, int ChunkRows, float GradScale);

    private static LmHeadCrossEntropyResult ForwardOnly(ReadOnlySpan<float> hidden, Tensor w, ReadOnlySpan<int> labels, Problem p) => w.DType switch
    {
        DType.F32 => Kernels.LmHeadCrossEntropy.Forward(hidden, w.AsSpan<float>(), labels, p.N, p.C, p.V, p.SoftCap, p.ChunkRows),
        DType.BF16 => Kernels.LmHeadCrossEntropy.Forward(hidden, w.AsSpan<BFloat16>(), labels, p.N, p.C, p.V, p.SoftCap, p.ChunkRows),
        DType.F16 => Kernels.LmHeadCrossEntropy.Forward(hidden, w.AsSpan<Half>(), labels, p.N, p.C, p.V, p.SoftCap, p.ChunkRows),
        _ => throw new NotSupportedException($"LmHeadCrossEntropy: weight dtype {w.DType}"),
    };

    private static LmHeadCrossEntropyResult Fused(ReadOnlySpan<float> hidden, Tensor w, ReadOnlySpan<int> labels, Span<float> dHidden,
        Span<float> dWeight, Problem p, float gradScale) => w.DType switch
    {
        DType.F32 => Kernels.LmHeadCrossEntropy.ForwardBackward(hidden, w.AsSpan<float>(), labels, dHidden, dWeight, p.N, p.C, p.V, gradScale, p.SoftCap, p.ChunkRows),
        DType.BF16 => Kernels.LmHeadCrossEntropy.ForwardBackward(hidden, w.AsSpan<BFloat16>(), labels, dHidden, dWeight, p.N, p.C, p.V, gradScale, p.SoftCap, p.ChunkRows),
        DType.F16 => Kernels.LmHeadCrossEntropy.ForwardBackward(hidden, w.AsSpan<Half>(), labels, dHidden, dWeight, p.N, p.C, p.V, gradScale, p.SoftCap, p.ChunkRows),
        _ => throw new NotSupportedException($"LmHeadCrossEntropy: weight dtype {w.DType}"),
    };

    private sealed class Node(Variable output, Variable hidden, Variable weight, ReadOnlyMemory<int> labels, Problem p, Tensor? dHidden)
        : TapeNode(output)
    {
        private Tensor? _dHidden = dHidden;

        public override string OpName => "LmHeadCrossEntropy";

        protected internal override void CollectSaved(ISet<Variable> saved)
        {
            if (_dHidden != null) return;
            // The trainable-head backward re-runs the fused kernel: it reads both the hidden states and the
            // weight (an op output when the head carries an unmerged LoRA: W + scaling·B·A).
            saved.Add(hidden);
            saved.Add(weight);
        }

        protected internal override void Backward()
        {
            float upstream = Output.Grad!.Span[0];
            if (_dHidden != null)
            {
                // Gradient computed in forward for d(loss) = 1; scale by the upstream gradient (exact no-op for 1).
                if (!hidden.RequiresGrad) return;
                if (upstream != 1f) Elementwise.Scale(_dHidden.Span, upstream, _dHidden.Span);
                var g = _dHidden;
                _dHidden = null;
                if (!hidden.TryAdoptGrad(g, counted: true))
                {
                    hidden.AccumulateGrad(g.Span);
                    AutogradMemory.Free(g);
                }
                return;
            }
            // Trainable head: re-run the fused kernel with the upstream scale folded in.
            Span<float> dw = weight.GradForWrite(out bool acc);
            if (!acc) dw.Clear();
            var dx = OpUtil.BeginOverwrite(hidden, hidden.Shape, out var scratch);
            Fused(hidden.Value.Span, weight.Value, labels.Span, dx, dw, p, p.GradScale * upstream);
            OpUtil.EndOverwrite(hidden, scratch);
        }

        protected internal override void Release()
        {
            if (_dHidden != null) AutogradMemory.Free(_dHidden);
            _dHidden = null;
        }
    }
}
