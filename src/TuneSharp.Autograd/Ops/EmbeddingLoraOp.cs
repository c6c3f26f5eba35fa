// LoRA side path of an embedding (PEFT lora.Embedding): y = s · A[:, ids]ᵀ · Bᵀ with A: (r, V), B: (C, r).
using TuneSharp.Tensors;
using TuneSharp.Tensors.Kernels;

namespace TuneSharp.Autograd.Ops;

public static class EmbeddingLoraOp
{
    /// <summary>
    /// ids: (N), a: lora_embedding_A (r, V), b: lora_embedding_B (C, r) → y: (N, C) = scale · h · Bᵀ with
    /// h[n, j] = A[j, ids[n]] (PEFT: F.embedding(x, Aᵀ) @ Bᵀ · scaling). Backward: dB += scale · dyᵀ·h,
    /// dh = scale · dy·B, dA[j, ids[n]] += dh[n, j] (token order, deterministic).
    /// </summary>
    public static Variable EmbeddingLora(this Tape tape, ReadOnlyMemory<int> ids, Variable a, Variable b, float scale, string? name = null)
    {
        const string op = "EmbeddingLora";
        OpUtil.RequireF32(a, op, "lora_embedding_A");
        OpUtil.RequireF32(b, op, "lora_embedding_B");
        if (a.Value.Rank != 2 || b.Value.Rank != 2 || a.Shape[0] != b.Shape[1])
            throw new ArgumentException($"{op}: A {a.Shape} and B {b.Shape} must be (r, V) and (C, r)");
        int r = a.Shape[0], vocab = a.Shape[1], cols = b.Shape[0], n = ids.Length;
        var h = Gather(ids.Span, a.Value.Span, r, vocab, op);
        bool needs = tape.NeedsGrad(a, b);
        var y = AutogradMemory.AllocateF32(new Shape(n, cols));
        Gemm.MatMulTransB(h, b.Value.Span, y.Span, n, cols, r);
        Elementwise.Scale(y.Span, scale, y.Span);
        var output = tape.CreateOutput(y, needs, name);
        if (needs) tape.Record(new Node(output, ids, a, b, h, r, vocab, cols, scale));
        return output;
    }

    /// <summary>h (N, r): h[n, j] = A[j, ids[n]].</summary>
    private static float[] Gather(ReadOnlySpan<int> ids, ReadOnlySpan<float> a, int r, int vocab, string op)
    {
        var h = new float[ids.Length * r];
        for (int t = 0; t < ids.Length; t++)
        {
            int id = ids[t];
            if ((uint)id >= (uint)vocab) throw new ArgumentOutOfRangeException(nameof(ids), id, $"{op}: token id at {t} is outside the vocabulary of {vocab}");
            for (int j = 0; j < r; j++) h[t * r + j] = a[j * vocab + id];
        }
        return h;
    }

    private sealed class Node(Variable output, ReadOnlyMemory<int> ids, Variable a, Variable b, float[] h, int r, int vocab, int cols, float scale) : TapeNode(output)
    {
        public override string OpName => "EmbeddingLora";

        protected internal override void Backward()
        {
            int n = ids.Length;
            var dy = Output.Grad!.ToFloatArray();
            Elementwise.Scale(dy, scale, dy);
            if (b.RequiresGrad)
            {
                // dB (C, r) += dyᵀ (C, N) · h (N, r)
                var db = b.GradForWrite(out bool acc);
                Gemm.MatMulTransA(dy, h, db, n, cols, r, acc);
            }
            if (a.RequiresGrad)
            {
                // dh (N, r) = dy (N, C) · B (C, r), scattered into the columns of A.
                var dh = new float[n * r];
                Gemm.MatMul(dy, b.Value.Span, dh, n, cols, r);
                var da = a.GradForWrite(out bool acc);
                if (!acc) da.Clear();
                var idSpan = ids.Span;
                for (int t = 0; t < n; t++)
                    for (int j = 0; j < r; j++) da[j * vocab + idSpan[t]] += dh[t * r + j];
            }
        }
    }
}
