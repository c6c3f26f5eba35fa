// Decoder-only causal language model for llama/mistral/qwen2/qwen3/gemma/gemma2 (HF *ForCausalLM), tape (training) path.
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
/// Every <see cref="Linear"/> is reachable by its HF module name (<see cref="Linears"/>, <see cref="GetLinear"/>)
/// for LoRA injection and PEFT key naming. The KV-cache inference path is in CausalLM.Inference.cs.
/// </summary>
public sealed partial class CausalLM : IDisposable
{
    private readonly List<IDisposable> _owned;
    private readonly Dictionary<string, Linear> _linears = new(StringComparer.Ordinal);
    private readonly float[] _invFreq;

    private CausalLM(ModelConfig config, Embedding embed, DecoderLayer[] layers, RmsNorm norm, Linear lmHead, List<IDisposable> owned, string source)
    {
        Config = config;
        EmbedTokens = embed;
        Layers = layers;
        Norm = norm;
        LmHead = lmHead;
        _owned = owned;
        Source = source;
        _invFreq = config.RopeInverseFrequencies();
        foreach (var l in layers)
            foreach (var lin in new[] { l.SelfAttention.QProj, l.SelfAttention.KProj, l.SelfAttention.VProj, l.SelfAttention.OProj, l.Mlp.GateProj, l.Mlp.UpProj, l.Mlp.DownProj })
                _linears.Add(lin.Name, lin);
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

    /// <summary>Every decoder Linear (q/k/v/o/gate/up/down) in layer order, named like "model.layers.0.self_attn.q_proj".</summary>
    public IEnumerable<Linear> Linears => _linears.Values;

    /// <summary>The decoder Linear with the given HF module name (or "lm_head").</summary>
    public Linear GetLinear(string moduleName) =>
        moduleName == "lm_head" ? LmHead
        : _linears.TryGetValue(moduleName, out var l) ? l
        : throw new KeyNotFoundException($"{Source}: no Linear module named \"{moduleName}\" (e.g. \"model.layers.0.self_attn.q_proj\")");

    /// <summary>
    /// Every parameter by its HF tensor name, each once (a tied lm_head is listed as model.embed_tokens.weight), in
    /// checkpoint order.
    /// </summary>
    public IEnumerable<(string Name, Variable Parameter)> NamedParameters()
    {
        yield return (WeightNames.EmbedTokens, EmbedTokens.Weight);
        foreach (var l in Layers)
        {
            yield return (l.InputLayerNorm.Name + ".weight", l.InputLayerNorm.Weight);
            var a = l.SelfAttention;
            foreach (var lin in new[] { a.QProj, a.KProj, a.VProj, a.OProj })
            {
                yield return (lin.Name + ".weight", lin.Weight);
                if (lin.Bias != null) yield return (lin.Name + ".bias", lin.Bias);
            }
            if (a.QNorm != null) yield return (a.QNorm.Name + ".weight", a.QNorm.Weight);
            if (a.KNorm != null) yield return (a.KNorm.Name + ".weight", a.KNorm.Weight);
            yield return (l.PostAttentionLayerNorm.Name + ".weight", l.PostAttentionLayerNorm.Weight);
            if (l.PreFeedForwardLayerNorm != null) yield return (l.PreFeedForwardLayerNorm.Name + ".weight", l.PreFeedForwardLayerNorm.Weight);
            if (l.PostFeedForwardLayerNorm != null) yield return (l.PostFeedForwardLayerNorm.Name + ".weight", l.PostFeedForwardLayerNorm.Weight);
            foreach (var lin in new[] { l.Mlp.GateProj, l.Mlp.UpProj, l.Mlp.DownProj })
            {
                yield return (lin.Name + ".weight", lin.Weight);
                if (lin.Bias != null) yield return (lin.Name + ".bias", lin.Bias);
            }
        }
        yield return (Norm.Name + ".weight", Norm.Weight);
        if (!TiedEmbeddings) yield return (WeightNames.LmHead, LmHead.Weight);
    }

    /// <summary>Total parameter count (tied weights once).</summary>
    public long ParameterCount => NamedParameters().Sum(p => p.Parameter.Shape.ElementCount);

    /// <summary>
    /// Full fine-tuning: replaces every parameter with a trainable F32 copy (tied embeddings stay one variable).
    /// The copies are owned by the model.
    /// </summary>
    public void MakeAllTrainable()
    {
        Variable Copy(Variable v, string name)
        {
            if (v.RequiresGrad) return v;
            var t = v.Value.To(DType.F32);
            _owned.Add(t);
            return Variable.Parameter(t, trainable: true, name);
        }
        EmbedTokens.Weight = Copy(EmbedTokens.Weight, WeightNames.EmbedTokens);
        if (TiedEmbeddings) LmHead.Weight = EmbedTokens.Weight;
        else LmHead.Weight = Copy(LmHead.Weight, WeightNames.LmHead);
        Norm.Weight = Copy(Norm.Weight, Norm.Name + ".weight");
        foreach (var l in Layers)
        {
            foreach (var n in new[] { l.InputLayerNorm, l.PostAttentionLayerNorm, l.PreFeedForwardLayerNorm, l.PostFeedForwardLayerNorm, l.SelfAttention.QNorm, l.SelfAttention.KNorm })
                if (n != null) n.Weight = Copy(n.Weight, n.Name + ".weight");
        }
        foreach (var lin in _linears.Values)
        {
            lin.Weight = Copy(lin.Weight, lin.Name + ".weight");
            if (lin.Bias != null) lin.Bias = Copy(lin.Bias, lin.Name + ".bias");
        }
    }

    /// <summary>Freezes every parameter (drops gradients); values are kept.</summary>
    public void FreezeAll()
    {
        foreach (var (_, p) in NamedParameters()) p.RequiresGrad = false;
    }

    /// <summary>ids (B, T) → final-norm hidden states (B·T, C) on the tape.</summary>
    public Variable Forward(Tape tape, CausalLMInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckIds(input.InputIds.Span);
        var rope = input.Rope(_invFreq);
        var x = EmbedTokens.Forward(tape, input.InputIds);
        foreach (var layer in Layers)
        {
            x = GradientCheckpointing
                ? tape.Checkpoint((t, h) => layer.Forward(t, h, input, rope), x, $"model.layers.{layer.Index}")
                : layer.Forward(tape, x, input, rope);
        }
        return Norm.Forward(tape, x);
    }

    /// <summary>
    /// Mean token cross-entropy with HF's causal shift: labels (B, T) are aligned with the input ids and position t is
    /// scored against labels[t + 1]; −100 is ignored. <paramref name="tokenCount"/> overrides the divisor (e.g. the
    /// counted tokens of a whole gradient-accumulation step). Uses the fused chunked LM-head + CE op.
    /// </summary>
    public Variable Loss(Tape tape, CausalLMInput input, ReadOnlySpan<int> labels, int? tokenCount = null)
    {
        if (labels.Length != input.Tokens) throw new ArgumentException($"labels: {labels.Length} values for {input.Tokens} input ids");
        var hidden = Forward(tape, input);
        var shifted = ShiftLabels(labels, input.Batch, input.SeqLen);
        return tape.LmHeadCrossEntropy(hidden, HeadWeight(tape), shifted, (float)(Config.FinalLogitSoftcapping ?? 0), tokenCount, name: "loss");
    }

    // The fused LM-head CE reads the head weight directly, so an unmerged LoRA on lm_head is folded in as
    // W + scaling·B·A (PEFT's delta) on the tape; its gradient then flows to A and B.
    private Variable HeadWeight(Tape tape)
    {
        if (LmHead.QuantizedWeight != null)
            throw new NotSupportedException($"{Source}: lm_head is NF4-quantized; QLoRA keeps the LM head in its original dtype (remove lm_head from the quantized layers)");
        return LmHead.Lora is { Merged: false } ? LoraModel.EffectiveWeight(tape, LmHead) : LmHead.Weight;
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
    /// Full logits (B·T, V) on the tape (lm_head Linear, so LoRA on lm_head applies). Not available with Gemma-2's
    /// final softcap (use <see cref="ComputeLogits"/> or the fused <see cref="Loss"/>).
    /// </summary>
    public Variable Logits(Tape tape, CausalLMInput input)
    {
        if (Config.FinalLogitSoftcapping is not null)
            throw new NotSupportedException($"{Source}: tape logits with final_logit_softcapping are not supported; use ComputeLogits or Loss");
        return LmHead.Forward(tape, Forward(tape, input));
    }

    /// <summary>Logits (B·T, V) with no tape and no gradient (training-path math, final softcap applied).</summary>
    public float[] ComputeLogits(CausalLMInput input)
    {
        using var tape = new Tape();
        using var _ = tape.NoGrad();
        var h = Forward(tape, input);
        var logits = new float[(long)input.Tokens * Config.VocabSize];
        WeightMath.Logits(h.Value.Span, HeadWeight(tape).Value, logits, input.Tokens, Config.HiddenSize, Config.VocabSize, (float)(Config.FinalLogitSoftcapping ?? 0));
        return logits;
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
