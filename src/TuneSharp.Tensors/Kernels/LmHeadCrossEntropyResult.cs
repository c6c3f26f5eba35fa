// Result of the fused LM-head + cross-entropy kernel: summed token losses and how many tokens counted.
namespace TuneSharp.Tensors.Kernels;

/// <summary>
/// Sum of −log p(label) over counted tokens (labels ≠ −100) and their count. Mean is 0 when nothing counted
/// (an all-ignored batch), never NaN — transformers would divide 0/0.
/// </summary>
public readonly record struct LmHeadCrossEntropyResult(double LossSum, int Count)
{
    /// <summary>LossSum / Count, or 0 when Count == 0.</summary>
    public double Mean => Count > 0 ? LossSum / Count : 0;
}
