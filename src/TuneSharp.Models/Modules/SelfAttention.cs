// Decoder self-attention (HF LlamaAttention / Qwen2 biases / Qwen3 q·k norms / Gemma-2 softcap and window): the one
// forward for training (tape), evaluation and KV-cache decoding.
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;
using TuneSharp.Models.Config;
using TuneSharp.Nn;
using AttentionShape = TuneSharp.Tensors.Kernels.AttentionShape;

namespace TuneSharp.Models.Modules;

/// <summary>
/// q/k/v/o projections (+ Qwen3 per-head q_norm/k_norm) and the attention options of one layer.
/// x: (B·T, C) → q: (B·T, nh·hs), k/v: (B·T, nkv·hs) → RoPE → attention (over the cache's slots when the input
/// carries one) → o_proj → (B·T, C).
/// </summary>
public sealed class SelfAttention : Module
{
    internal SelfAttention(ModelConfig config, int layer, Linear q, Linear k, Linear v, Linear o, RmsNorm? qNorm, RmsNorm? kNorm)
        : base($"model.layers.{layer}.self_attn")
    {
        Config = config;
        Layer = layer;
        QProj = q;
        KProj = k;
        VProj = v;
        OProj = o;
        QNorm = qNorm;
        KNorm = kNorm;
        SlidingWindow = config.IsSlidingLayer(layer) ? config.SlidingWindow ?? 0 : 0;
    }

    public ModelConfig Config { get; }

    public int Layer { get; }

    public Linear QProj { get; }

    public Linear KProj { get; }

    public Linear VProj { get; }

    public Linear OProj { get; }

    /// <summary>Qwen3 only: RMSNorm over head_dim for each q head.</summary>
    public RmsNorm? QNorm { get; }

    /// <summary>Qwen3 only: RMSNorm over head_dim for each k head.</summary>
    public RmsNorm? KNorm { get; }

    /// <summary>Window in tokens for this layer, 0 = full causal attention.</summary>
    public int SlidingWindow { get; }

    public override IEnumerable<Module> Children()
    {
        yield return QProj;
        yield return KProj;
        yield return VProj;
        yield return OProj;
        if (QNorm != null) yield return QNorm;
        if (KNorm != null) yield return KNorm;
    }

    /// <summary>Attention options for (B, Tq) queries over Tk keys (KV capacity and offset for the cache path).</summary>
    public AttentionShape Shape(int batch, int tq, int tk, int capacity, int offset) =>
        new(batch, tq, tk, Config.NumAttentionHeads, Config.NumKeyValueHeads, Config.HeadDim)
        {
            Scale = Config.AttentionScale,
            SoftCap = (float)(Config.AttnLogitSoftcapping ?? 0),
            SlidingWindow = SlidingWindow,
            Causal = true,
            KvCapacity = capacity,
            QueryOffset = offset,
        };

    /// <summary>x: (B·T, C) normalised input → (B·T, C).</summary>
    public Variable Forward(ForwardContext ctx, Variable x, CausalLMInput input, RopeTable rope)
    {
        var tape = ctx.Tape;
        int n = input.Tokens, nh = Config.NumAttentionHeads, nkv = Config.NumKeyValueHeads, hs = Config.HeadDim;
        var q = QProj.Forward(ctx, x);
        var k = KProj.Forward(ctx, x);
        var v = VProj.Forward(ctx, x);
        if (QNorm != null && KNorm != null)
        {
            // Qwen3: normalise each head's hs values (rows = tokens·heads); the reshape is a view of q/k.
            var qn = QNorm.Forward(ctx, tape.Reshape(q, n * nh, hs));
            var kn = KNorm.Forward(ctx, tape.Reshape(k, n * nkv, hs));
            ctx.Done(q);
            ctx.Done(k);
            (q, k) = (qn, kn);
        }
        var qr = tape.Rope(q, rope, nh, $"{QProj.Name}.rope");
        var kr = tape.Rope(k, rope, nkv, $"{KProj.Name}.rope");
        ctx.Done(q);
        ctx.Done(k);
        Variable a;
        if (input.Cache is { } cache)
        {
            // Decode/prefill against the cache: append this step's rotated keys and values, attend over every slot.
            if (tape.NeedsGrad(qr, kr, v)) throw new NotSupportedException($"{Name}: KV-cache forwards are inference-only (no gradient)");
            cache.Append(Layer, kr.Value.Span, v.Value.Span, input.SeqLen);
            ctx.Done(kr);
            ctx.Done(v);
            var shape = Shape(input.Batch, input.SeqLen, cache.Length + input.SeqLen, cache.Capacity, cache.Length);
            a = tape.Attention(qr, cache.ActiveKeys(Layer), cache.ActiveValues(Layer), shape, cache.ActiveKeyMask, $"{Name}");
            ctx.Done(qr);
        }
        else
        {
            var shape = Shape(input.Batch, input.SeqLen, input.SeqLen, input.SeqLen, 0);
            a = tape.Attention(qr, kr, v, shape, input.KeyMask ?? default(ReadOnlyMemory<byte>), Name);
            if (PaddedQueryRows.Find(shape, input.KeyMask) is { } empty)
            {
                var padded = PaddedQueryRows.Apply(tape, a, qr, kr, v, shape, empty, $"{Name}.padded_rows");
                ctx.Done(a);
                a = padded;
            }
            ctx.Done(qr);
            ctx.Done(kr);
            ctx.Done(v);
        }
        if (a.Shape.Rank != 2 || a.Shape[1] != nh * hs) a = tape.Reshape(a, n, nh * hs);
        var o = OProj.Forward(ctx, a);
        ctx.Done(a);
        return o;
    }
}
