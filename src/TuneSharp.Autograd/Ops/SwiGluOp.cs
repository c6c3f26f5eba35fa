// SwiGLU gate (Shazeer 2020, "GLU Variants Improve Transformer"; HF LlamaMLP: act_fn(gate_proj(x)) * up_proj(x)).

namespace TuneSharp.Autograd.Ops;

public static class SwiGluOp
{
    /// <summary>gate, up: (…, I) → h = silu(gate) ⊙ up. Backward recomputes silu from the saved inputs.</summary>
    public static Variable SwiGlu(this Tape tape, Variable gate, Variable up, string? name = null) =>
        GatedOp.Forward(tape, gate, up, name, geluTanh: false);
}
