// Decoder-only causal language model for llama/mistral/qwen2/qwen3/gemma/gemma2 (HF *ForCausalLM): the module tree
// and its one forward, used by training (tape), evaluation (no-grad) and generation (no-grad + KV cache).
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;
using TuneSharp.Models.Config;
using TuneSharp.Models.Loading;
using TuneSharp.Models.Modules;
using TuneSharp.Nn;
using TuneSharp.Nn.Lora;
using TuneSharp.Tensors;

namespace TuneSharp.Models;

/// <summary>
/// Config plus modules: embed_tokens (Gemma: ·√C), N <see cref="DecoderLayer"/>s, final norm, lm_head (tied or
/// separate; Gemma-2 final softcap in the loss/logits). Weights are frozen by default and stay in their on-disk
/// dtype (memory-mapped); <see cref="MakeAllTrainable"/> swaps in trainable F32 copies for full fine-tuning.
/// Everything about parameters (names, counts, LoRA targets, checkpoints) comes from the <see cref="Module"/> walk.
/// One <see cref="Forward(ForwardContext, CausalLMInput)"/> serves every caller: with a recording tape (training),
/// without (evaluation), and with a <see cref="KvCache"/> (generation), with LoRA adapters unmerged and chosen per
/// sequence by the context.
/// </summary>
public sealed partial class CausalLM : Module, IDisposable
{
    private readonly List<IDisposable> _owned;
    private readonly float[] _invFreq;

    private CausalLM(ModelConfig config, Embedding embed, DecoderLayer[] layers, RmsNorm norm, Linear lmHead, List<IDisposable> owned, string source)
        : base("")
    {
        Config = config;
        EmbedTokens = embed;
        Layers = layers;
        Norm = norm;
        LmHead = lmHead;
        _owned = owned;
        Source = source;
        _invFreq = config.RopeInverseFrequencies();
    }

    public ModelConfig Config { get; }

    /// <summary>Folder or file the weights came from.</summary>
    public string Source { get; }

    /// <summary>"model.embed_tokens".</summary>
    public Embedding EmbedTokens { get; }

    public IReadOnlyList<DecoderLayer> Layers { get; }

    /// <summary>"model.norm".</summary>
    public RmsNorm Norm { get; }

    /// <summary>"lm_head"; with tied embeddings its weight is the embedding variable itself.</summary>
    public Linear LmHead { get; }

    /// <summary>Recompute each decoder layer's forward in backward (tape.Checkpoint) to save activation memory.</summary>
    public bool GradientCheckpointing { get; set; }

    public bool TiedEmbeddings => Config.TieWordEmbeddings;

    public override IEnumerable<Module> Children()
    {
        yield return EmbedTokens;
        foreach (var l in Layers) yield return l;
        yield return Norm;
        yield return LmHead;
    }

    /// <summary>Every decoder Linear (q/k/v/o/gate/up/down) in layer order, named like "model.layers.0.self_attn.q_proj" (lm_head excluded).</summary>
    public IEnumerable<Linear> Linears => Modules().OfType<Linear>().Where(l => !ReferenceEquals(l, LmHead));

    /// <summary>The Linear with the given HF module name (e.g. "model.layers.0.self_attn.q_proj" or "lm_head").</summary>
    public Linear GetLinear(string moduleName) =>
        GetModule(moduleName) as Linear ?? throw new KeyNotFoundException($"{Source}: module \"{moduleName}\" is not a Linear");

    /// <summary>
    /// Full fine-tuning: replaces every frozen parameter with a trainable F32 copy (tied embeddings stay one
    /// variable). The copies are owned by the model.
    /// </summary>
    public void MakeAllTrainable() => MapParameters((name, v) =>
    {
        if (v.RequiresGrad) return v;
        var t = v.Value.To(DType.F32);
        _owned.Add(t);
        return Variable.Parameter(t, trainable: true, name);
    });

    /// <summary>Freezes every parameter (drops gradients); values are kept.</summary>
    public void FreezeAll()
    {
        foreach (var (_, p) in NamedParameters()) p.RequiresGrad = false;
    }

    /// <summary>ids (B, T) → final-norm hidden states (B·T, C) on the tape, "default" adapter, train mode.</summary>
    public Variable Forward(Tape tape, CausalLMInput input) => Forward(new ForwardContext(tape), input);

    /// <summary>
    /// The forward: ids (B, T) → final-norm hidden states (B·T, C). With <see cref="CausalLMInput.Cache"/> the tokens
    /// continue the cached rows (inference only) and the cache advances by T slots.
    /// </summary>
    public Variable Forward(ForwardContext ctx, CausalLMInput input)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(input);
        CheckIds(input.InputIds.Span);
        if (ctx.Adapters.Sequences is { } seqs && seqs.Count != input.Batch)
            throw new ArgumentException($"{seqs.Count} per-sequence adapters for a batch of {input.Batch} sequences");
        var tape = ctx.Tape;
        var rope = input.Rope(_invFreq);
        var x = EmbedTokens.Forward(ctx, input.InputIds);
        foreach (var layer in Layers)
        {
            var y = GradientCheckpointing && input.Cache is null
                ? tape.Checkpoint((t, h) => layer.Forward(new ForwardContext(t, ctx.Adapters, ctx.Training), h, input, rope), x, layer.Name)
                : layer.Forward(ctx, x, input, rope);
            ctx.Done(x);
            x = y;
        }
        if (input.Cache is { } cache) cache.Length += input.SeqLen;
        var h = Norm.Forward(ctx, x);
        ctx.Done(x);
        return h;
    }

    /// <summary>
    /// Logits (N, V) for hidden rows (N, C) through lm_head (its LoRA adapters apply as selected), then Gemma-2's
    /// final softcap c·tanh(·/c).
    /// </summary>
    public Variable HeadLogits(ForwardContext ctx, Variable hidden)
    {
        var logits = LmHead.Forward(ctx, hidden);
        if (Config.FinalLogitSoftcapping is not double cap) return logits;
        if (ctx.Tape.NeedsGrad(logits)) throw new NotSupportedException($"{Source}: tape logits with final_logit_softcapping are not differentiable here; use Loss (fused, softcapped)");
        var span = logits.Value.Span;
        float c = (float)cap;
        for (int i = 0; i < span.Length; i++) span[i] = c * MathF.Tanh(span[i] / c);
        return logits;
    }

    /// <summary>
    /// Mean token cross-entropy with HF's causal shift: labels (B, T) are aligned with the input ids and position t is
    /// scored against labels[t + 1]; −100 is ignored. <paramref name="tokenCount"/> overrides the divisor (e.g. the
    /// counted tokens of a whole gradient-accumulation step). Uses the fused chunked LM-head + CE op.
    /// </summary>
    public Variable Loss(Tape tape, CausalLMInput input, ReadOnlySpan<int> labels, int? tokenCount = null) =>
        Loss(new ForwardContext(tape), input, labels, tokenCount);

    /// <inheritdoc cref="Loss(Tape, CausalLMInput, ReadOnlySpan{int}, int?)"/>
    public Variable Loss(ForwardContext ctx, CausalLMInput input, ReadOnlySpan<int> labels, int? tokenCount = null)
    {
        if (labels.Length != input.Tokens) throw new ArgumentException($"labels: {labels.Length} values for {input.Tokens} input ids");
        if (ctx.Adapters.Sequences != null) throw new NotSupportedException("the loss takes one adapter for the whole batch");
        var hidden = Forward(ctx, input);
        var shifted = ShiftLabels(labels, input.Batch, input.SeqLen);
        return ctx.Tape.LmHeadCrossEntropy(hidden, HeadWeight(ctx), shifted, (float)(Config.FinalLogitSoftcapping ?? 0), tokenCount, name: "loss");
    }

    // The fused LM-head CE reads the head weight directly, so an unmerged LoRA on lm_head is folded in as
    // W + scaling·B·A (PEFT's delta) on the tape; its gradient then flows to A and B.
    private Variable HeadWeight(ForwardContext ctx)
    {
        if (LmHead.QuantizedWeight != null)
            throw new NotSupportedException($"{Source}: lm_head is NF4-quantized; QLoRA keeps the LM head in its original dtype (remove lm_head from the quantized layers)");
        if (LmHead.GgmlWeight != null)
            throw new NotSupportedException($"{Source}: lm_head is kept in its GGUF quant type ({LmHead.GgmlWeight.Type}, inference only); load with ModelLoadOptions.KeepGgufQuantized = false to compute the loss");
        return LoraModel.EffectiveWeight(ctx.Tape, LmHead, ctx.Adapters.Uniform);
    }

    /// <summary>Row-wise shift: out[b, t] = labels[b, t + 1], out[b, T − 1] = −100.</summary>
    public static int[] ShiftLabels(ReadOnlySpan<int> labels, int batch, int seqLen)
    {
        var r = new int[batch * seqLen];
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t + 1 < seqLen; t++) r[b * seqLen + t] = labels[b * seqLen + t + 1];
            r[b * seqLen + seqLen - 1] = -100;
        }
        return r;
    }

    /// <summary>
    /// Full logits (B·T, V) on the tape (lm_head Linear, so LoRA on lm_head applies). Not differentiable with
    /// Gemma-2's final softcap (use <see cref="ComputeLogits"/> or the fused <see cref="Loss(Tape, CausalLMInput, ReadOnlySpan{int}, int?)"/>).
    /// </summary>
    public Variable Logits(Tape tape, CausalLMInput input)
    {
        var ctx = new ForwardContext(tape);
        return HeadLogits(ctx, Forward(ctx, input));
    }

    /// <summary>Logits (B·T, V) with no tape and no gradient (eval mode, final softcap applied).</summary>
    public float[] ComputeLogits(CausalLMInput input, AdapterSelection? adapters = null)
    {
        using var tape = new Tape();
        using var _ = tape.NoGrad();
        var ctx = ForwardContext.Inference(tape, adapters);
        return HeadLogits(ctx, Forward(ctx, input)).Value.ToFloatArray();
    }

    /// <summary>A cache sized for this model.</summary>
    public KvCache CreateCache(int batch, int capacity) => new(Config, batch, capacity);

    /// <summary>
    /// Generation step: feeds T new tokens per row — ids (B·T) row-major, B = cache.ActiveRows — through the one forward
    /// with the cache (see <see cref="CausalLMInput.ForCache"/>), and writes the logits of each row's last token,
    /// (B, V), or with <paramref name="allPositions"/> every token's, (B·T, V). <paramref name="adapters"/> picks
    /// the LoRA adapter per row (default: the "default" adapter where present).
    /// </summary>
    public void Forward(KvCache cache, ReadOnlySpan<int> ids, ReadOnlySpan<int> attentionMask, Span<float> logits,
        bool allPositions = false, AdapterSelection? adapters = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        int bsz = cache.ActiveRows, n = ids.Length;
        if (n == 0 || n % bsz != 0) throw new ArgumentException($"{n} ids cannot be split into the cache's {bsz} active rows");
        int t = n / bsz, rowsOut = allPositions ? n : bsz, c = Config.HiddenSize;
        if (logits.Length != (long)rowsOut * Config.VocabSize) throw new ArgumentException($"logits span has {logits.Length} floats, need {rowsOut}·{Config.VocabSize}");
        CheckIds(ids);
        using var tape = new Tape();
        using var noGrad = tape.NoGrad();
        using var input = CausalLMInput.ForCache(cache, ids.ToArray(), attentionMask);
        var ctx = ForwardContext.Inference(tape, adapters);
        var hidden = Forward(ctx, input);
        var rows = hidden;
        if (!allPositions && t > 1)
        {
            // Only each row's last position goes through the head: (B, C) instead of (B·T, C).
            var last = AutogradMemory.AllocateF32(new Shape(bsz, c));
            for (int b = 0; b < bsz; b++) hidden.Value.Span.Slice((b * t + t - 1) * c, c).CopyTo(last.Span.Slice(b * c, c));
            rows = tape.CreateOutput(last, false, "last_hidden");
            ctx.Done(hidden);
        }
        // Per-sequence adapters split the head's rows evenly: T per sequence here, or 1 after the last-position pick.
        HeadLogits(ctx, rows).Value.Span.CopyTo(logits);
    }

    private void CheckIds(ReadOnlySpan<int> ids)
    {
        int v = Config.VocabSize;
        for (int i = 0; i < ids.Length; i++)
            if ((uint)ids[i] >= (uint)v) throw new ArgumentOutOfRangeException(nameof(ids), $"token id {ids[i]} at index {i} is outside the vocabulary (0..{v - 1})");
    }

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
        _owned.Clear();
    }

    public override string ToString() => $"CausalLM {Config} from {Source}";
}
