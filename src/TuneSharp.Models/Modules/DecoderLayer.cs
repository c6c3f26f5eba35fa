// One pre-norm decoder layer (HF LlamaDecoderLayer; Gemma-2 sandwich norms per Gemma2DecoderLayer).
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;
using TuneSharp.Nn;

namespace TuneSharp.Models.Modules;

/// <summary>
/// Llama/Mistral/Qwen/Gemma: h += attn(input_norm(h)); h += mlp(post_attention_norm(h)).
/// Gemma-2: h += post_attention_norm(attn(input_norm(h))); h += post_ff_norm(mlp(pre_ff_norm(h))).
/// </summary>
public sealed class DecoderLayer : Module
{
    internal DecoderLayer(int index, RmsNorm inputNorm, SelfAttention attention, RmsNorm postAttentionNorm,
        RmsNorm? preFeedForwardNorm, RmsNorm? postFeedForwardNorm, GatedMlp mlp) : base($"model.layers.{index}")
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

    public override IEnumerable<Module> Children()
    {
        yield return InputLayerNorm;
        yield return SelfAttention;
        yield return PostAttentionLayerNorm;
        if (PreFeedForwardLayerNorm != null) yield return PreFeedForwardLayerNorm;
        if (PostFeedForwardLayerNorm != null) yield return PostFeedForwardLayerNorm;
        yield return Mlp;
    }

    /// <summary>x: (B·T, C) → (B·T, C). The input is left to the caller (a checkpoint may need it again).</summary>
    public Variable Forward(ForwardContext ctx, Variable x, CausalLMInput input, RopeTable rope)
    {
        var tape = ctx.Tape;
        var hn = InputLayerNorm.Forward(ctx, x);
        var a = SelfAttention.Forward(ctx, hn, input, rope);
        ctx.Done(hn);
        if (HasPostNorms) a = Then(ctx, a, PostAttentionLayerNorm.Forward(ctx, a));
        var h = tape.Add(x, a, Name + ".attn_residual");
        ctx.Done(a);
        var mn = (HasPostNorms ? PreFeedForwardLayerNorm! : PostAttentionLayerNorm).Forward(ctx, h);
        var m = Mlp.Forward(ctx, mn);
        ctx.Done(mn);
        if (HasPostNorms) m = Then(ctx, m, PostFeedForwardLayerNorm!.Forward(ctx, m));
        var y = tape.Add(h, m, Name + ".mlp_residual");
        ctx.Done(h);
        ctx.Done(m);
        return y;
    }

    /// <summary>Returns <paramref name="next"/> after marking <paramref name="previous"/> consumed.</summary>
    private static Variable Then(ForwardContext ctx, Variable previous, Variable next)
    {
        ctx.Done(previous);
        return next;
    }
}
