// Gated feed-forward block down(act(gate(x)) · up(x)): SwiGLU (Llama, Mistral, Qwen) or GeGLU tanh (Gemma); HF LlamaMLP/GemmaMLP.
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;
using TuneSharp.Models.Config;
using TuneSharp.Nn;

namespace TuneSharp.Models.Modules;

/// <summary>x: (N, C) → gate, up: (N, F) → act(gate)·up → down → (N, C).</summary>
public sealed class GatedMlp : Module
{
    internal GatedMlp(int layer, Activation activation, Linear gate, Linear up, Linear down) : base($"model.layers.{layer}.mlp")
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

    public override IEnumerable<Module> Children()
    {
        yield return GateProj;
        yield return UpProj;
        yield return DownProj;
    }

    public Variable Forward(ForwardContext ctx, Variable x)
    {
        var tape = ctx.Tape;
        var g = GateProj.Forward(ctx, x);
        var u = UpProj.Forward(ctx, x);
        var h = Activation == Activation.Silu ? tape.SwiGlu(g, u) : tape.GeGlu(g, u);
        ctx.Done(g);
        ctx.Done(u);
        var y = DownProj.Forward(ctx, h);
        ctx.Done(h);
        return y;
    }
}
