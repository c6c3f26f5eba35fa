// A token embedding table (torch.nn.Embedding) with an optional output scale (Gemma multiplies by √hidden).
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;
using TuneSharp.Nn.Lora;

namespace TuneSharp.Nn;

/// <summary>
/// Table (V, C) — frozen in its on-disk dtype or trainable F32. Forward looks up ids (N) → (N, C) · <see cref="Scale"/>.
/// </summary>
public sealed class Embedding
{
    public Embedding(string name, Variable weight, float scale = 1f)
    {
        if (weight.Value.Rank != 2) throw new ArgumentException($"{name}: embedding table must be (V, C), got {weight.Shape}");
        Name = name;
        Weight = weight;
        Scale = scale;
    }

    /// <summary>Module path in Hugging Face naming, e.g. "model.embed_tokens".</summary>
    public string Name { get; }

    /// <summary>(V, C). Replaceable (e.g. a trainable F32 copy).</summary>
    public Variable Weight { get; set; }

    /// <summary>Output multiplier (1, or √C for Gemma).</summary>
    public float Scale { get; }

    public int VocabSize => Weight.Shape[0];

    public int EmbeddingDim => Weight.Shape[1];

    /// <summary>
    /// LoRA on the embedding (PEFT lora.Embedding): A = lora_embedding_A (r, V), B = lora_embedding_B (C, r);
    /// the side path adds scaling·Aᵀ[ids]·Bᵀ (times <see cref="Scale"/>, which multiplies the whole embedding output).
    /// </summary>
    public LoraAdapter? Lora { get; set; }

    /// <summary>ids: (N) → (N, C).</summary>
    public Variable Forward(Tape tape, ReadOnlyMemory<int> ids)
    {
        var y = tape.Embedding(ids, Weight, Scale, Name);
        if (Lora is { Merged: false } lora) y = tape.Add(y, tape.EmbeddingLora(ids, lora.A, lora.B, lora.Scaling * Scale, Name + ".lora"), Name + ".lora_sum");
        return y;
    }

    public override string ToString() => $"Embedding {Name} ({VocabSize} × {EmbeddingDim}, {Weight.DType}{(Weight.RequiresGrad ? ", trainable" : ", frozen")})";
}
