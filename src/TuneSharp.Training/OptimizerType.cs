// Optimizers by their transformers.OptimizerNames names (adamw_torch, adamw_8bit); the update rules live in Nn.Optim.
using TuneSharp.Training.Config;

namespace TuneSharp.Training;

/// <summary>training.optim values; written in YAML as adamw_torch or adamw_8bit, and the HF aliases listed on each bind too.</summary>
public enum OptimizerType
{
    /// <summary>torch.optim.AdamW semantics (<see cref="Nn.Optim.AdamWOptimizer"/>).</summary>
    [ConfigAlias("adamw", "adamw_hf", "adamw_torch_fused")]
    AdamwTorch,

    /// <summary>bitsandbytes 8-bit block-quantized AdamW state (<see cref="Nn.Optim.AdamW8bitOptimizer"/>).</summary>
    [ConfigAlias("adamw_bnb_8bit", "paged_adamw_8bit")]
    Adamw8bit,
}
