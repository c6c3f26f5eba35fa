// The rope_scaling block of an HF config.json that changes RoPE frequencies (only "llama3" is supported).
namespace TuneSharp.Tensors.Kernels;

/// <summary>
/// HF <c>rope_scaling</c> with <c>rope_type = "llama3"</c> (Llama 3.1/3.2): frequencies whose wavelength exceeds
/// original_max_position_embeddings / low_freq_factor are divided by <paramref name="Factor"/>, those shorter than
/// original_max_position_embeddings / high_freq_factor are kept, and the band between is interpolated smoothly.
/// </summary>
public sealed record RopeScaling(string RopeType, double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositionEmbeddings)
{
    /// <summary>A llama3 scaling block (the only non-default rope_type the kernels implement).</summary>
    public static RopeScaling Llama3(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings)
        => new("llama3", factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings);
}
