// Weights of one encoder block (BertLayer / MPNetLayer): q, k, v, attention output, two LayerNorms, the GELU MLP.
namespace TuneSharp.Models.Encoders;

/// <summary>Linear weights are (out, in) row-major as in nn.Linear; LayerNorm vectors are (C).</summary>
internal sealed class EncoderLayerWeights
{
    public required float[] Wq, Bq, Wk, Bk, Wv, Bv, Wo, Bo, AttnLnW, AttnLnB, Wi, Bi, Wout, Bout, OutLnW, OutLnB;
}
