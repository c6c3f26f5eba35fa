// One pre-norm decoder layer (HF LlamaDecoderLayer; Gemma-2 sandwich norms per Gemma2DecoderLayer).
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;
using TuneSharp.Nn;

namespace TuneSharp.Models.Modules;

/// <summary>
/// Llama/Mistral/Qwen/Gemma: h += attn(input_norm(h)); h += mlp(post_attention_norm(h)).
/// Gemma-2: h += post_attention_norm(attn(input_norm(h))); h += post_ff_norm(mlp(pre_ff_norm(h))).
/// </summary>
public sealed class DecoderLayer
{
    internal DecoderLayer(int index, RmsNorm inputNorm, SelfAttention attention, RmsNorm postAttentionNorm,
        RmsNorm? preFeedForwardNorm, RmsNorm? postFeedForwardNorm, GatedMlp mlp)
    {
        Index = index;
        InputLayerNorm = inputNorm;
        SelfAttention = attention;
        PostAttentionLayerNorm = postAttentionNorm;
        PreFeedForwardLayerNorm = preFeedForwardNorm;
        PostFeedForwardLayerNorm = postFeedForwardNorm;
        Mlp = mlp;
    }

    public int Index { get; }

    public RmsNorm InputLayerNorm { get; }

    public SelfAttention SelfAttention { get; }

    /// <summary>MLP input norm, except Gemma-2 where it normalises the attention output.</summary>
    public RmsNorm PostAttentionLayerNorm { get; }

    /// <summary>Gemma-2 only.</summary>
    public RmsNorm? PreFeedForwardLayerNorm { get; }

    /// <summary>Gemma-2 only.</summary>
    public RmsNorm? PostFeedForwardLayerNorm { get; }

    public GatedMlp Mlp { get; }

    /// <summary>Sandwich (Gemma-2) layout.</summary>
    public bool HasPostNorms => PreFeedForwardLayerNorm != null;

    /// <summary>x: (B·T, C) → (B·T, C).</summary>
    public Variable Forward(Tape tape, Variable x, CausalLMInput input, RopeTable rope)
    {
        string p = $"model.layers.{Index}";
        var a = SelfAttention.Forward(tape, InputLayerNorm.Forward(tape, x), input, rope);
        if (HasPostNorms) a = PostAttentionLayerNorm.Forward(tape, a);
        x = tape.Add(x, a, p + ".attn_residual");
        var m = HasPostNorms
            ? PostFeedForwardLayerNorm!.Forward(tape, Mlp.Forward(tape, PreFeedForwardLayerNorm!.Forward(tape, x)))
            : Mlp.Forward(tape, PostAttentionLayerNorm.Forward(tape, x));
        return tape.Add(x, m, p + ".mlp_residual");
    }
}
