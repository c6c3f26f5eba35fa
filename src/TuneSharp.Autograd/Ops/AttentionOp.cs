// Scaled dot-product self-attention through the flash-style kernel (FlashAttention-2 backward; HF eager attention semantics).
using TuneSharp.Tensors;
using TuneSharp.Tensors.Kernels;
using Kernels = TuneSharp.Tensors.Kernels;

namespace TuneSharp.Autograd.Ops;

public static class AttentionOp
{
    /// <summary>
    /// q: (B, Tq, nh, hs), k/v: (B, Tk, nkv, hs) (any shapes with those element counts, e.g. (B·T, nh·hs)) → o with
    /// q's shape. Options (causal, sliding window, softcap, scale, GQA) come from <paramref name="shape"/>;
    /// <paramref name="keyMask"/> (B, Tk) bytes, 1 = attend, empty = no padding. Saves the LSE (B, nh, Tq) and
    /// reuses the output for backward; the (T, T) scores are never stored.
    /// </summary>
    public static Variable Attention(this Tape tape, Variable q, Variable k, Variable v, AttentionShape shape,
        ReadOnlyMemory<byte> keyMask = default, string? name = null)
    {
        const string op = "Attention";
        shape.Validate();
        OpUtil.RequireF32(q, op, "q");
        OpUtil.RequireF32(k, op, "k");
        OpUtil.RequireF32(v, op, "v");
        if (q.Value.ElementCount != shape.QueryElements) throw new ArgumentException($"{op}: q '{q.Name}' {q.Shape} is not (B, Tq, nh, hs) = ({shape.Batch}, {shape.QueryLength}, {shape.Heads}, {shape.HeadSize})");
        if (k.Value.ElementCount != shape.KvElements) throw new ArgumentException($"{op}: k '{k.Name}' {k.Shape} is not (B, Tk, nkv, hs) = ({shape.Batch}, {shape.KvCapacity}, {shape.KvHeads}, {shape.HeadSize})");
        if (v.Value.ElementCount != shape.KvElements) throw new ArgumentException($"{op}: v '{v.Name}' {v.Shape} is not (B, Tk, nkv, hs) = ({shape.Batch}, {shape.KvCapacity}, {shape.KvHeads}, {shape.HeadSize})");
        bool needs = tape.NeedsGrad(q, k, v);
        var o = AutogradMemory.AllocateF32(q.Shape);
        var lse = needs ? AutogradMemory.AllocateF32(new Shape(checked((int)shape.LseElements))) : null;
        Kernels.Attention.Forward(shape, q.Value.Span, k.Value.Span, v.Value.Span, keyMask.Span, o.Span, lse != null ? lse.Span : default);
        var output = tape.CreateOutput(o, needs, name);
        if (needs) tape.Record(new Node(output, q, k, v, shape, keyMask, lse!));
        return output;
    }

    private sealed class Node(Variable output, Variable q, Variable k, Variable v, AttentionShape shape, ReadOnlyMemory<byte> keyMask, Tensor lse)
        : TapeNode(output)
    {
        private Tensor? _lse = lse;

        public override string OpName => "Attention";

        protected internal override void CollectSaved(ISet<Variable> saved)
        {
            saved.Add(q);
            saved.Add(k);
            saved.Add(v);
            saved.Add(Output);
        }

        protected internal override void Backward()
        {
            // The kernel writes all three gradients; inputs that need none (or already hold one) get scratch.
            var dq = OpUtil.BeginOverwrite(q, q.Shape, out var sq);
            var dk = OpUtil.BeginOverwrite(k, k.Shape, out var sk);
            var dv = OpUtil.BeginOverwrite(v, v.Shape, out var sv);
            Kernels.Attention.Backward(shape, q.Value.Span, k.Value.Span, v.Value.Span, keyMask.Span, Output.Value.Span, _lse!.Span,
                Output.Grad!.Span, dq, dk, dv);
            OpUtil.EndOverwrite(q, sq);
            OpUtil.EndOverwrite(k, sk);
            OpUtil.EndOverwrite(v, sv);
        }

        protected internal override void Release()
        {
            if (_lse != null) AutogradMemory.Free(_lse);
            _lse = null;
        }
    }
}
