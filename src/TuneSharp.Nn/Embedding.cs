// A token embedding table (torch.nn.Embedding) with an optional output scale (Gemma multiplies by √hidden) and
// named LoRA adapters (PEFT lora.Embedding).
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;
using TuneSharp.Nn.Lora;
using TuneSharp.Tensors.Kernels.Quant;

namespace TuneSharp.Nn;

/// <summary>
/// Table (V, C) — frozen in its on-disk dtype or trainable F32. Forward looks up ids (N) → (N, C) · <see cref="Scale"/>.
/// </summary>
public sealed class Embedding : AdaptedModule
{
    public Embedding(string name, Variable weight, float scale = 1f) : base(name)
    {
        if (weight.Value.Rank != 2) throw new ArgumentException($"{name}: embedding table must be (V, C), got {weight.Shape}");
        Weight = weight;
        Scale = scale;
    }

    /// <summary>(V, C). Replaceable (e.g. a trainable F32 copy).</summary>
    public Variable Weight { get; set; }

    /// <summary>Output multiplier (1, or √C for Gemma).</summary>
    public float Scale { get; }

    /// <summary>
    /// A GGUF table kept in its ggml type (inference only): lookups dequantize the looked-up rows and
    /// <see cref="Weight"/> is a (V, 0) placeholder.
    /// </summary>
    public GgmlQuantMatrix? GgmlWeight { get; set; }

    public int VocabSize => GgmlWeight?.Rows ?? Weight.Shape[0];

    public int EmbeddingDim => GgmlWeight?.Cols ?? Weight.Shape[1];

    protected override IEnumerable<(string LocalName, Variable Parameter)> OwnParameters()
    {
        yield return ("weight", Weight);
    }

    protected override void SetParameter(string localName, Variable value)
    {
        if (localName == "weight") Weight = value;
        else base.SetParameter(localName, value);
    }

    /// <summary>ids: (N) → (N, C) on the tape with the "default" adapter.</summary>
    public Variable Forward(Tape tape, ReadOnlyMemory<int> ids) => Forward(new ForwardContext(tape), ids);

    /// <summary>ids: (N) → (N, C); N = B·T, sequence b owning rows [b·T, (b+1)·T) for per-sequence adapters.</summary>
    public Variable Forward(ForwardContext ctx, ReadOnlyMemory<int> ids)
    {
        var tape = ctx.Tape;
        var y = GgmlWeight is { } g ? tape.EmbeddingGgml(ids, g, Scale, Name) : tape.Embedding(ids, Weight, Scale, Name);
        if (Adapters.Count == 0) return y;
        if (ctx.Adapters.Sequences is { } sequences)
        {
            var groups = LoraRowGroups.Groups(sequences, ids.Length, Name, Adapters);
            if (groups.Count > 0 && groups.Any(g => g.Adapter.A.RequiresGrad || g.Adapter.B.RequiresGrad) && tape.GradEnabled)
                throw new NotSupportedException($"{Name}: a batch that mixes adapters is inference-only (no gradient)");
            LoraRowGroups.AddEmbedding(ids.Span, y.Value.Span, EmbeddingDim, Scale, groups);
            return y;
        }
        if (ctx.Adapters.Uniform is not { } name || GetAdapter(name) is not { Merged: false } lora) return y;
        var delta = tape.EmbeddingLora(ids, lora.A, lora.B, lora.Scaling * Scale, Name + ".lora");
        var sum = tape.Add(y, delta, Name + ".lora_sum");
        ctx.Done(y);
        ctx.Done(delta);
        return sum;
    }

    public override string ToString() => $"Embedding {Name} ({VocabSize} × {EmbeddingDim}, {(GgmlWeight is { } q ? q.Type.ToString() : Weight.DType.ToString())}{(Weight.RequiresGrad ? ", trainable" : ", frozen")})";
}
