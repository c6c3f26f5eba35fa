// A linear layer y = x·Wᵀ (+ b) (torch.nn.Linear) with named LoRA adapters on its side path (PEFT LoraLayer).
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;
using TuneSharp.Nn.Lora;
using TuneSharp.Tensors.Kernels;
using TuneSharp.Tensors.Kernels.Quant;

namespace TuneSharp.Nn;

/// <summary>
/// Holds a weight (out, in) — frozen in any dtype (memory-mapped BF16/F16/F32), NF4 for QLoRA, or trainable F32 —
/// an optional bias, and any number of named LoRA adapters. The forward adds the adapter(s) the context selects
/// (PEFT: <c>result = base(x) + lora_B(lora_A(dropout(x))) · scaling</c>), per sequence when a batch mixes adapters.
/// </summary>
public sealed class Linear : AdaptedModule
{
    public Linear(string name, Variable weight, Variable? bias = null) : base(name)
    {
        if (weight.Value.Rank != 2) throw new ArgumentException($"{name}: weight must be (out, in), got {weight.Shape}");
        if (bias != null && (bias.Value.Rank != 1 || bias.Shape[0] != weight.Shape[0]))
            throw new ArgumentException($"{name}: bias {bias.Shape} does not match weight {weight.Shape}");
        Weight = weight;
        Bias = bias;
    }

    /// <summary>(out, in). Replaceable (e.g. merged weights, NF4-quantized frozen weights).</summary>
    public Variable Weight { get; set; }

    public Variable? Bias { get; set; }

    public int InFeatures => QuantizedWeight?.Cols ?? GgmlWeight?.Cols ?? Weight.Shape[1];

    public int OutFeatures => QuantizedWeight?.Rows ?? GgmlWeight?.Rows ?? Weight.Shape[0];

    /// <summary>
    /// QLoRA: a frozen NF4 copy of the weight. When set, Forward uses it (dequantized inside GEMM packing) and
    /// <see cref="Weight"/> is not read (the quantizer replaces it with an empty placeholder to free memory).
    /// </summary>
    public Nf4Matrix? QuantizedWeight { get; set; }

    /// <summary>
    /// Inference on GGUF weights kept in their ggml type (Q8_0/Q4_0/Q4_K/Q5_K/Q6_K): when set, Forward multiplies by it
    /// (<see cref="GgmlQuantMatrix"/>) instead of <see cref="Weight"/>. Frozen; no gradient flows through it.
    /// </summary>
    public GgmlQuantMatrix? GgmlWeight { get; set; }

    protected override IEnumerable<(string LocalName, Variable Parameter)> OwnParameters()
    {
        yield return ("weight", Weight);
        if (Bias != null) yield return ("bias", Bias);
    }

    protected override void SetParameter(string localName, Variable value)
    {
        switch (localName)
        {
            case "weight": Weight = value; break;
            case "bias": Bias = value; break;
            default: base.SetParameter(localName, value); break;
        }
    }

    /// <summary>x: (N, in) → (N, out) on the tape, with the "default" adapter in train mode.</summary>
    public Variable Forward(Tape tape, Variable x) => Forward(new ForwardContext(tape), x);

    /// <summary>x: (N, in) → (N, out); N = B·T rows, sequence b owning rows [b·T, (b+1)·T) for per-sequence adapters.</summary>
    public Variable Forward(ForwardContext ctx, Variable x)
    {
        var tape = ctx.Tape;
        var y = QuantizedWeight is { } q ? tape.LinearNf4(x, q, Bias, Name)
            : GgmlWeight is { } g ? tape.LinearGgml(x, g, Bias, Name)
            : tape.Linear(x, Weight, Bias, Name);
        if (Adapters.Count == 0) return y;
        if (ctx.Adapters.Sequences is { } sequences)
        {
            if (tape.NeedsGrad(x)) throw new NotSupportedException($"{Name}: a batch that mixes adapters is inference-only (no gradient)");
            var groups = LoraRowGroups.Groups(sequences, checked((int)(x.Value.ElementCount / InFeatures)), Name, Adapters);
            LoraRowGroups.AddLinear(x.Value.Span, y.Value.Span, InFeatures, OutFeatures, groups);
            return y;
        }
        if (ctx.Adapters.Uniform is not { } name || GetAdapter(name) is not { Merged: false } lora) return y;
        var delta = lora.Forward(tape, x, ctx.Training);
        var sum = tape.Add(y, delta, Name + ".lora");
        ctx.Done(y);
        ctx.Done(delta);
        return sum;
    }

    public override string ToString() => $"Linear {Name} ({InFeatures} → {OutFeatures}, {(QuantizedWeight != null ? "NF4" : Weight.DType.ToString())}{(Weight.RequiresGrad ? ", trainable" : ", frozen")}{(Adapters.Count > 0 ? ", lora " + string.Join("/", Adapters.Select(a => $"{a.Key} r={a.Value.Rank}")) : "")})";
}
