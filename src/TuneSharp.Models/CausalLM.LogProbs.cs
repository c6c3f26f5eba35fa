// Per-token log-probabilities of given next tokens through the one forward and the fused LM head (TRL's
// selective_log_softmax over model logits), for preference training and scoring.
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;
using TuneSharp.Nn;

namespace TuneSharp.Models;

public sealed partial class CausalLM
{
    /// <summary>
    /// ids (B, T) → logp (B·T): position t scores <paramref name="shiftedLabels"/>[t] (already shifted: the token that
    /// follows t; −100 = not scored, logp 0). <paramref name="logitSums"/> (B·T), when given, receives Σ_v logits per
    /// scored position (after Gemma-2's final softcap). Never materialises (B·T, V) logits.
    /// </summary>
    public Variable TokenLogProbs(ForwardContext ctx, CausalLMInput input, ReadOnlyMemory<int> shiftedLabels, float[]? logitSums = null)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(input);
        if (shiftedLabels.Length != input.Tokens) throw new ArgumentException($"labels: {shiftedLabels.Length} values for {input.Tokens} input ids");
        if (ctx.Adapters.Sequences != null) throw new NotSupportedException("token log-probs take one adapter for the whole batch");
        var hidden = Forward(ctx, input);
        return ctx.Tape.LmHeadTokenLogProbs(hidden, HeadWeight(ctx), shiftedLabels, (float)(Config.FinalLogitSoftcapping ?? 0), logitSums, name: "token_logps");
    }
}
