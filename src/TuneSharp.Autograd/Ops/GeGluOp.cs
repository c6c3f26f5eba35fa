// GeGLU gate with tanh-approximated GELU (Shazeer 2020; HF GemmaMLP with hidden_activation "gelu_pytorch_tanh").
namespace TuneSharp.Autograd.Ops;

public static class GeGluOp
{
    /// <summary>gate, up: (…, I) → h = gelu_tanh(gate) ⊙ up.</summary>
    public static Variable GeGlu(this Tape tape, Variable gate, Variable up, string? name = null) =>
        GatedOp.Forward(tape, gate, up, name, geluTanh: true);
}
