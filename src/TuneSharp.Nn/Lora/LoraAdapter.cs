// The trainable low-rank pair of a LoRA layer (Hu et al. 2021; PEFT LoraLayer): ΔW = scaling·B·A.
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;

namespace TuneSharp.Nn.Lora;

/// <summary>
/// A: (r, in) and B: (out, r), both F32 and trainable. scaling = alpha / r, or alpha / √r with rsLoRA
/// (Kalajdzievski 2023). Forward on x: (N, in) is <c>scaling · (dropout(x)·Aᵀ)·Bᵀ</c>.
/// </summary>
public sealed class LoraAdapter
{
    public LoraAdapter(Variable a, Variable b, double alpha, bool useRslora, float dropout)
    {
        if (a.Value.Rank != 2 || b.Value.Rank != 2 || a.Shape[0] != b.Shape[1])
            throw new ArgumentException($"LoRA A {a.Shape} and B {b.Shape} do not form a rank-r pair (A: (r, in), B: (out, r))");
        if (a.Shape[0] <= 0) throw new ArgumentException("LoRA rank r must be positive");
        A = a;
        B = b;
        Alpha = alpha;
        UseRslora = useRslora;
        Dropout = dropout;
    }

    public Variable A { get; }

    public Variable B { get; }

    public int Rank => A.Shape[0];

    public double Alpha { get; }

    public bool UseRslora { get; }

    public float Dropout { get; }

    /// <summary>True while ΔW is folded into the base weight (forward then skips the side path).</summary>
    public bool Merged { get; set; }

    /// <summary>PEFT scaling: alpha / r, or alpha / √r with use_rslora.</summary>
    public float Scaling => (float)(UseRslora ? Alpha / Math.Sqrt(Rank) : Alpha / Rank);

    /// <summary>x: (N, in) → scaling·(dropout(x)·Aᵀ)·Bᵀ (N, out); dropout only in train mode.</summary>
    public Variable Forward(Tape tape, Variable x, bool training = true)
    {
        var h = training && Dropout > 0 ? tape.Dropout(x, Dropout) : x;
        var down = tape.Linear(h, A, null, "lora_A");
        if (!ReferenceEquals(h, x) && !tape.GradEnabled) tape.Release(h);
        var up = tape.Linear(down, B, null, "lora_B");
        if (!tape.GradEnabled) tape.Release(down);
        var scaled = tape.Scale(up, Scaling);
        if (!tape.GradEnabled) tape.Release(up);
        return scaled;
    }
}
