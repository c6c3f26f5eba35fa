// A linear layer y = x·Wᵀ (+ b) (torch.nn.Linear) with an optional LoRA adapter on its side path (PEFT LoraLayer).
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;
using TuneSharp.Nn.Lora;
using TuneSharp.Tensors.Kernels;

namespace TuneSharp.Nn;

/// <summary>
/// Holds a weight (out, in) — frozen in any dtype (memory-mapped BF16/F16/F32) or trainable F32 — and an optional
/// bias. When <see cref="Lora"/> is set and not merged, the forward adds the adapter's low-rank update
/// (PEFT: <c>result = base(x) + lora_B(lora_A(dropout(x))) · scaling</c>).
/// </summary>
public sealed class Linear
{
    public Linear(string name, Variable weight, Variable? bias = null)
    {
        if (weight.Value.Rank != 2) throw new ArgumentException($"{name}: weight must be (out, in), got {weight.Shape}");
        if (bias != null && (bias.Value.Rank != 1 || bias.Shape[0] != weight.Shape[0]))
            throw new ArgumentException($"{name}: bias {bias.Shape} does not match weight {weight.Shape}");
        Name = name;
        Weight = weight;
        Bias = bias;
    }

    /// <summary>The module path in Hugging Face naming, e.g. "model.layers.0.self_attn.q_proj".</summary>
    public string Name { get; }

    /// <summary>(out, in). Replaceable (e.g. merged weights, NF4-quantized frozen weights).</summary>
    public Variable Weight { get; set; }

    public Variable? Bias { get; set; }

    public int InFeatures => QuantizedWeight?.Cols ?? Weight.Shape[1];

    public int OutFeatures => QuantizedWeight?.Rows ?? Weight.Shape[0];

    /// <summary>
    /// QLoRA: a frozen NF4 copy of the weight. When set, Forward uses it (dequantized inside GEMM packing) and
    /// <see cref="Weight"/> is not read (the quantizer replaces it with an empty placeholder to free memory).
    /// </summary>
    public Nf4Matrix? QuantizedWeight { get; set; }

    /// <summary>The LoRA adapter on this layer, if any.</summary>
    public LoraAdapter? Lora { get; set; }

    /// <summary>x: (N, in) → (N, out).</summary>
    public Variable Forward(Tape tape, Variable x)
    {
        var y = QuantizedWeight is { } q ? tape.LinearNf4(x, q, Bias, Name) : tape.Linear(x, Weight, Bias, Name);
        if (Lora is { Merged: false } lora) y = tape.Add(y, lora.Forward(tape, x), Name + ".lora");
        return y;
    }

    public override string ToString() => $"Linear {Name} ({InFeatures} → {OutFeatures}, {(QuantizedWeight != null ? "NF4" : Weight.DType.ToString())}{(Weight.RequiresGrad ? ", trainable" : ", frozen")}{(Lora != null ? $", lora r={Lora.Rank}" : "")})";
}
