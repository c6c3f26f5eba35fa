// Token embedding lookup (torch.nn.functional.embedding) with an optional output scale (Gemma multiplies by √C).
using TuneSharp.Tensors;
using Kernels = TuneSharp.Tensors.Kernels;

namespace TuneSharp.Autograd.Ops;

public static class EmbeddingOp
{
    /// <summary>
    /// ids: (N) token ids, table: (V, C) F32/BF16/F16 → y: (N, C) = table[ids]·scale. Backward scatter-adds into
    /// dtable (deterministic, in token order) when the table is trainable; the ids are kept by reference.
    /// </summary>
    public static Variable Embedding(this Tape tape, ReadOnlyMemory<int> ids, Variable table, float scale = 1f, string? name = null)
    {
        const string op = "Embedding";
        if (table.Value.Rank != 2) throw new ArgumentException($"{op}: table '{table.Name}' must be (V, C), got {table.Shape}");
        int vocab = table.Shape[0], cols = table.Shape[1];
        bool needs = tape.NeedsGrad(table);
        var y = AutogradMemory.AllocateF32(new Shape(ids.Length, cols));
        var w = table.Value;
        switch (w.DType)
        {
            case DType.F32: Kernels.Embedding.Forward(ids.Span, w.AsSpan<float>(), y.Span, vocab, cols, scale); break;
            case DType.BF16: Kernels.Embedding.Forward(ids.Span, w.AsSpan<BFloat16>(), y.Span, vocab, cols, scale); break;
            case DType.F16: Kernels.Embedding.Forward(ids.Span, w.AsSpan<Half>(), y.Span, vocab, cols, scale); break;
            default: throw new NotSupportedException($"{op}: table dtype {w.DType}");
        }
        var output = tape.CreateOutput(y, needs, name);
        if (needs) tape.Record(new Node(output, ids, table, vocab, cols, scale));
        return output;
    }

    private sealed class Node(Variable output, ReadOnlyMemory<int> ids, Variable table, int vocab, int cols, float scale) : TapeNode(output)
    {
        public override string OpName => "Embedding";

        protected internal override void Backward()
        {
            var dt = table.GradForWrite(out bool acc);
            if (!acc) dt.Clear();
            Kernels.Embedding.Backward(ids.Span, Output.Grad!.Span, dt, vocab, cols, scale);
        }
    }
}
