// Options of CausalLM.FromPretrained.
namespace TuneSharp.Models;

/// <summary>Loading options; the defaults keep the checkpoint's dtype memory-mapped and frozen.</summary>
public sealed record ModelLoadOptions
{
    /// <summary>Dtype of the 2-D weights (GGUF quantized tensors are dequantized to F32 under Auto).</summary>
    public ModelDType DType { get; init; } = ModelDType.Auto;

    /// <summary>
    /// GGUF: keep Q8_0/Q4_0/Q4_K/Q5_K/Q6_K weights of linear layers (q/k/v/o/gate/up/down and an untied lm_head) in their
    /// ggml type (<c>Linear.GgmlWeight</c>, inference only); false dequantizes every tensor to F32 at load (needed to
    /// train or merge on top of a GGUF). The token embedding (and a tied lm_head) is always dequantized to F32.
    /// </summary>
    public bool KeepGgufQuantized { get; init; } = true;
}
