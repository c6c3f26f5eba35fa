// The MLP gate activations the supported architectures use (HF ACT2FN names in the comments).
namespace TuneSharp.Models.Config;

/// <summary>Activation applied to the gate projection of the gated MLP: down(act(gate(x)) · up(x)).</summary>
public enum Activation
{
    /// <summary>"silu" / "swish": x·σ(x) (SwiGLU MLP: Llama, Mistral, Qwen).</summary>
    Silu,

    /// <summary>"gelu_pytorch_tanh" / "gelu_new" / "gelu_fast": 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (GeGLU: Gemma).</summary>
    GeluTanh,

    /// <summary>"gelu": exact 0.5·x·(1 + erf(x/√2)).</summary>
    Gelu,
}
