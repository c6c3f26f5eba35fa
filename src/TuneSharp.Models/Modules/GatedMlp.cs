// Gated feed-forward block down(act(gate(x)) · up(x)): SwiGLU (Llama, Mistral, Qwen) or GeGLU tanh (Gemma); HF LlamaMLP/GemmaMLP.
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;
using TuneSharp.Models.Config;
using TuneSharp.Nn;

namespace TuneSharp.Models.Modules;

/// <summary>x: (N, C) → gate, up: (N, F) → act(gate)·up → down → (N, C).</summary>
public sealed class GatedMlp
{
    internal GatedMlp(Activation activation, Linear gate, Linear up, Linear down)
    {
        if (activation == Activation.Gelu)
            throw new NotSupportedException($"{gate.Name}: the exact-erf \"gelu\" MLP activation is not supported yet (supported: silu, gelu_pytorch_tanh)");
        Activation = activation;
        GateProj = gate;
        UpProj = up;
        DownProj = down;
    }

    public Activation Activation { get; }

    public Linear GateProj { get; }

    public Linear UpProj { get; }

    public Linear DownProj { get; }

    public Variable Forward(Tape tape, Variable x)
    {
        var g = GateProj.Forward(tape, x);
        var u = UpProj.Forward(tape, x);
        var h = Activation == Activation.Silu ? tape.SwiGlu(g, u) : tape.GeGlu(g, u);
        return DownProj.Forward(tape, h);
    }
}
