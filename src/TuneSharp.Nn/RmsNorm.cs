// RMSNorm module (Zhang & Sennrich 2019; HF LlamaRMSNorm, GemmaRMSNorm with the (1 + w) weight).
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;

namespace TuneSharp.Nn;

/// <summary>y = x / √(mean(x²) + eps) · w′ over the last dimension, w′ = w or (1 + w) (Gemma).</summary>
public sealed class RmsNorm : Module
{
    public RmsNorm(string name, Variable weight, float eps, bool addOneToWeight = false) : base(name)
    {
        if (weight.Value.Rank != 1) throw new ArgumentException($"{name}: norm weight must be (C), got {weight.Shape}");
        Weight = weight;
        Eps = eps;
        AddOneToWeight = addOneToWeight;
    }

    /// <summary>(C).</summary>
    public Variable Weight { get; set; }

    public float Eps { get; }

    /// <summary>Gemma: the stored weight is an offset from 1.</summary>
    public bool AddOneToWeight { get; }

    public int Dim => Weight.Shape[0];

    protected override IEnumerable<(string LocalName, Variable Parameter)> OwnParameters()
    {
        yield return ("weight", Weight);
    }

    protected override void SetParameter(string localName, Variable value)
    {
        if (localName == "weight") Weight = value;
        else base.SetParameter(localName, value);
    }

    /// <summary>x: (…, C) → (…, C).</summary>
    public Variable Forward(Tape tape, Variable x) => tape.RmsNorm(x, Weight, Eps, AddOneToWeight, Name);

    /// <inheritdoc cref="Forward(Tape, Variable)"/>
    public Variable Forward(ForwardContext ctx, Variable x) => Forward(ctx.Tape, x);

    public override string ToString() => $"RmsNorm {Name} ({Dim}, eps={Eps}{(AddOneToWeight ? ", 1+w" : "")})";
}
