// Options of CausalLM.FromPretrained.
namespace TuneSharp.Models;

/// <summary>Loading options; the defaults keep the checkpoint's dtype memory-mapped and frozen.</summary>
public sealed record ModelLoadOptions
{
    /// <summary>Dtype of the 2-D weights (GGUF quantized tensors are dequantized to F32 under Auto).</summary>
    public ModelDType DType { get; init; } = ModelDType.Auto;
}
