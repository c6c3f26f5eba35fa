// RoPE frequency scaling from config.json "rope_scaling"; math follows transformers
// modeling_rope_utils.py (_compute_default_rope_parameters, _compute_llama3_parameters).
namespace TuneSharp.Models.Config;

/// <summary>
/// Llama-3.1 style ("rope_type": "llama3") frequency scaling: long wavelengths are divided by
/// <see cref="Factor"/>, short ones kept, and the band between smoothly interpolated.
/// </summary>
public sealed record Llama3RopeScaling(double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositionEmbeddings)
{
    /// <summary>The only scaling type supported besides none ("default" or null).</summary>
    public const string Llama3Type = "llama3";

    /// <summary>
    /// Inverse frequencies of RoPE, length rotaryDim/2, in float32 exactly as transformers computes them:
    /// inv_freq[i] = 1 / theta^(2i/d) (float32 pow of a float32 exponent), then the llama3 rescaling
    /// when <paramref name="scaling"/> is not null. The rotation uses HF's rotate_half layout:
    /// pair (j, j + d/2) shares frequency j.
    /// </summary>
    public static float[] InverseFrequencies(int rotaryDim, double theta, Llama3RopeScaling? scaling)
    {
        if (rotaryDim <= 0 || rotaryDim % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(rotaryDim), rotaryDim, "RoPE dimension must be positive and even");
        int half = rotaryDim / 2;
        var inv = new float[half];
        for (int i = 0; i < half; i++)
        {
            // torch: base ** (arange(0, d, 2).float() / d) — a float32 exponent, pow in float32.
            float exponent = (float)(2 * i) / rotaryDim;
            float p = MathF.Pow((float)theta, exponent);
            inv[i] = 1.0f / p;
        }
        if (scaling is not null) scaling.Apply(inv);
        return inv;
    }

    /// <summary>The same block as the RoPE kernels' parameter type (TuneSharp.Tensors.Kernels.RopeScaling).</summary>
    public TuneSharp.Tensors.Kernels.RopeScaling ToKernel() =>
        TuneSharp.Tensors.Kernels.RopeScaling.Llama3(Factor, LowFreqFactor, HighFreqFactor, OriginalMaxPositionEmbeddings);

    /// <summary>Rescales inverse frequencies in place (transformers _compute_llama3_parameters, float32 tensors).</summary>
    public void Apply(Span<float> invFreq)
    {
        // Python floats (double) mixed with float32 tensors: scalars are rounded to float32 by torch's
        // tensor-scalar ops, so every intermediate here is float32.
        float factor = (float)Factor, low = (float)LowFreqFactor;
        double lowFreqWavelen = OriginalMaxPositionEmbeddings / LowFreqFactor;   // python float
        double highFreqWavelen = OriginalMaxPositionEmbeddings / HighFreqFactor; // python float
        float oldContext = OriginalMaxPositionEmbeddings;
        for (int i = 0; i < invFreq.Length; i++)
        {
            float f = invFreq[i];
            // `2 * math.pi / inv_freq` is Tensor.__rtruediv__ = reciprocal(inv_freq) * scalar in torch.
            float wavelen = (1.0f / f) * (float)(2 * Math.PI);
            float scaled = wavelen > (float)lowFreqWavelen ? f / factor : f;
            bool medium = !(wavelen < (float)highFreqWavelen) && !(wavelen > (float)lowFreqWavelen);
            if (medium)
            {
                float smooth = ((1.0f / wavelen) * oldContext - low) / (float)(HighFreqFactor - LowFreqFactor);
                scaled = (1 - smooth) * scaled / factor + smooth * scaled;
            }
            invFreq[i] = scaled;
        }
    }
}
