// Fused LM head → per-token log p(label) (TRL selective_log_softmax over model logits) without (N, V) logits; the
// preference losses (DPO/ORPO/SimPO) reduce these per sequence.
using TuneSharp.Tensors;
using Kernels = TuneSharp.Tensors.Kernels;

namespace TuneSharp.Autograd.Ops;

public static class LmHeadTokenLogProbsOp
{
    /// <summary>
    /// hidden (N, C), weight (V, C) any dtype, labels (N) already shifted (label i scores row i; −100 = not scored) →
    /// logp (N): z_i[label_i] − logsumexp(z_i), 0 for ignored rows, z after Gemma-2's optional softcap.
    /// <paramref name="logitSums"/> (N), when given, receives Σ_j z_ij per scored row (TRL's logits/* metrics; no gradient).
    /// <para>
    /// With a frozen head the per-row gradient u_i = ∂logp_i/∂hidden_i (N, C) is computed in the same forward pass —
    /// it does not depend on the upstream gradient, so backward only scales row i by dlogp_i (no second (N, C)·(C, V)
    /// GEMM). With a trainable head backward re-runs the fused kernel with the upstream values as per-row scales and
    /// accumulates dW directly.
    /// </para>
    /// </summary>
    public static Variable LmHeadTokenLogProbs(this Tape tape, Variable hidden, Variable weight, ReadOnlyMemory<int> labels,
        float softCap = 0f, float[]? logitSums = null, int chunkRows = 0, string? name = null)
    {
        const string op = "LmHeadTokenLogProbs";
        OpUtil.RequireF32(hidden, op, "hidden");
        if (weight.Value.Rank != 2) throw new ArgumentException($"{op}: weight '{weight.Name}' must be (V, C), got {weight.Shape}");
        int v = weight.Shape[0], c = weight.Shape[1];
        int n = OpUtil.Rows(hidden.Value, c, op, $"hidden '{hidden.Name}' (weight '{weight.Name}' is {weight.Shape})");
        if (labels.Length != n) throw new ArgumentException($"{op}: {labels.Length} labels for {n} hidden rows");
        if (logitSums != null && logitSums.Length != n) throw new ArgumentException($"{op}: logitSums has {logitSums.Length} elements for {n} rows");
        bool needs = tape.NeedsGrad(hidden, weight);
        var p = new Problem(n, c, v, softCap, chunkRows);
        var logp = AutogradMemory.AllocateF32(new Shape(n));
        Tensor? u = null;
        if (needs && !weight.RequiresGrad)
        {
            u = AutogradMemory.AllocateF32(hidden.Shape);
            Run(hidden.Value.Span, weight.Value, labels.Span, default, logp.Span, logitSums, u.Span, default, p);
        }
        else Run(hidden.Value.Span, weight.Value, labels.Span, default, logp.Span, logitSums, default, default, p);
        var output = tape.CreateOutput(logp, needs, name ?? "token_logps");
        if (needs) tape.Record(new Node(output, hidden, weight, labels, p, u));
        return output;
    }

    private readonly record struct Problem(int N, int C, int V, float SoftCap, int ChunkRows);

    private static void Run(ReadOnlySpan<float> hidden, Tensor w, ReadOnlySpan<int> labels, ReadOnlySpan<float> rowScales, Span<float> logp,
        Span<float> logitSums, Span<float> dHidden, Span<float> dWeight, Problem p)
    {
        switch (w.DType)
        {
            case DType.F32: Kernels.LmHeadCrossEntropy.TokenLogProbs(hidden, w.AsSpan<float>(), labels, rowScales, logp, logitSums, dHidden, dWeight, p.N, p.C, p.V, p.SoftCap, p.ChunkRows); break;
            case DType.BF16: Kernels.LmHeadCrossEntropy.TokenLogProbs(hidden, w.AsSpan<BFloat16>(), labels, rowScales, logp, logitSums, dHidden, dWeight, p.N, p.C, p.V, p.SoftCap, p.ChunkRows); break;
            case DType.F16: Kernels.LmHeadCrossEntropy.TokenLogProbs(hidden, w.AsSpan<Half>(), labels, rowScales, logp, logitSums, dHidden, dWeight, p.N, p.C, p.V, p.SoftCap, p.ChunkRows); break;
            default: throw new NotSupportedException($"LmHeadTokenLogProbs: weight dtype {w.DType}");
        }
    }

    private sealed class Node(Variable output, Variable hidden, Variable weight, ReadOnlyMemory<int> labels, Problem p, Tensor? u)
        : TapeNode(output)
    {
        private Tensor? _u = u;

        public override string OpName => "LmHeadTokenLogProbs";

        protected internal override void CollectSaved(ISet<Variable> saved)
        {
            if (_u != null) return;
            saved.Add(hidden);
            saved.Add(weight);
        }

        protected internal override void Backward()
        {
            var g = Output.Grad!.Span;
            if (_u != null)
            {
                if (!hidden.RequiresGrad) return;
                // dhidden_i = dlogp_i · u_i, in place in u, whose buffer then becomes (or is added to) hidden's gradient.
                var us = _u.Span;
                int c = p.C;
                for (int i = 0; i < p.N; i++)
                {
                    var row = us.Slice(i * c, c);
                    if (g[i] == 0f) row.Clear();
                    else if (g[i] != 1f) Kernels.Elementwise.Scale(row, g[i], row);
                }
                var grad = _u;
                _u = null;
                if (!hidden.TryAdoptGrad(grad, counted: true))
                {
                    hidden.AccumulateGrad(grad.Span);
                    AutogradMemory.Free(grad);
                }
                return;
            }
            Span<float> dw = weight.GradForWrite(out bool acc);
            if (!acc) dw.Clear();
            var dx = OpUtil.BeginOverwrite(hidden, hidden.Shape, out var scratch);
            var logp = new float[p.N];
            Run(hidden.Value.Span, weight.Value, labels.Span, g, logp, default, dx, dw, p);
            OpUtil.EndOverwrite(hidden, scratch);
        }

        protected internal override void Release()
        {
            if (_u != null) AutogradMemory.Free(_u);
            _u = null;
        }
    }
}
