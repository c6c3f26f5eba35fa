// RMSNorm module (Zhang & Sennrich 2019; HF LlamaRMSNorm, GemmaRMSNorm with the (1 + w) weight).
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;

namespace TuneSharp.Nn;

/// <summary>y = x / √(mean(x²) + eps) · w′ over the last dimension, w′ = w or (1 + w) (Gemma).</summary>
public sealed class RmsNorm
{
    public RmsNorm(string name, Variable weight, float eps, bool addOneToWeight = false)
    {
        if (weight.Value.Rank != 1) throw new ArgumentException($"{name}: norm weight must be (C), got {weight.Shape}");
        Name = name;
        Weight = weight;
        Eps = eps;
        AddOneToWeight = addOneToWeight;
    }

    /// <summary>Module path in Hugging Face naming, e.g. "model.layers.0.input_layernorm".</summary>
    public string Name { get; }

    /// <summary>(C).</summary>
    public Variable Weight { get; set; }

    public float Eps { get; }

    /// <summary>Gemma: the stored weight is an offset from 1.</summary>
    public bool AddOneToWeight { get; }

    public int Dim => Weight.Shape[0];

    /// <summary>x: (…, C) → (…, C).</summary>
    public Variable Forward(Tape tape, Variable x) => tape.RmsNorm(x, Weight, Eps, AddOneToWeight, Name);

    public override string ToString() => $"RmsNorm {Name} ({Dim}, eps={Eps}{(AddOneToWeight ? ", 1+w" : "")})";
}
