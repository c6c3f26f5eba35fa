// Decoder self-attention (HF LlamaAttention / Qwen2 biases / Qwen3 q·k norms / Gemma-2 softcap and window), tape path.
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;
using TuneSharp.Models.Config;
using TuneSharp.Nn;
using AttentionShape = TuneSharp.Tensors.Kernels.AttentionShape;

namespace TuneSharp.Models.Modules;

/// <summary>
/// q/k/v/o projections (+ Qwen3 per-head q_norm/k_norm) and the attention options of one layer.
/// x: (B·T, C) → q: (B·T, nh·hs), k/v: (B·T, nkv·hs) → RoPE → attention → o_proj → (B·T, C).
/// </summary>
public sealed class SelfAttention
{
    internal SelfAttention(ModelConfig config, int layer, Linear q, Linear k, Linear v, Linear o, RmsNorm? qNorm, RmsNorm? kNorm)
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
    public Variable Forward(Tape tape, Variable x, CausalLMInput input, RopeTable rope)
    {
        int n = input.Tokens, nh = Config.NumAttentionHeads, nkv = Config.NumKeyValueHeads, hs = Config.HeadDim;
        var q = QProj.Forward(tape, x);
        var k = KProj.Forward(tape, x);
        var v = VProj.Forward(tape, x);
        if (QNorm != null && KNorm != null)
        {
            // Qwen3: normalise each head's hs values (rows = tokens·heads).
            q = QNorm.Forward(tape, tape.Reshape(q, n * nh, hs));
            k = KNorm.Forward(tape, tape.Reshape(k, n * nkv, hs));
        }
        q = tape.Rope(q, rope, nh, $"{QProj.Name}.rope");
        k = tape.Rope(k, rope, nkv, $"{KProj.Name}.rope");
        var shape = Shape(input.Batch, input.SeqLen, input.SeqLen, input.SeqLen, 0);
        var a = tape.Attention(q, k, v, shape, input.KeyMask ?? default(ReadOnlyMemory<byte>), $"model.layers.{Layer}.self_attn");
        if (a.Shape.Rank != 2 || a.Shape[1] != nh * hs) a = tape.Reshape(a, n, nh * hs);
        if (PaddedQueryRows.Find(shape, input.KeyMask) is { } empty)
            a = PaddedQueryRows.Apply(tape, a, q, k, v, shape, empty, $"model.layers.{Layer}.self_attn.padded_rows");
        return OProj.Forward(tape, a);
    }
}
