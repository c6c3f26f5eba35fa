// Every HF checkpoint tensor name and expected shape for the supported architectures, in one place
// (names as in transformers modeling_{llama,mistral,qwen2,qwen3,gemma,gemma2}.py state dicts).
using TuneSharp.Models.Config;

namespace TuneSharp.Models.Loading;

/// <summary>
/// HF names as strings. Layer-scoped names take the layer index. Shapes are row-major: a Linear weight is
/// (out_features, in_features), an embedding (vocab, hidden), a norm (hidden) or (head_dim) for Qwen3's q/k norms.
/// </summary>
public static class WeightNames
{
    public const string EmbedTokens = "model.embed_tokens.weight";
    public const string FinalNorm = "model.norm.weight";
    public const string LmHead = "lm_head.weight";

    /// <summary>Prefix of every tensor of decoder layer <paramref name="layer"/>: "model.layers.{i}.".</summary>
    public static string LayerPrefix(int layer) => $"model.layers.{layer}.";

    public static string QProj(int layer) => LayerPrefix(layer) + "self_attn.q_proj.weight";
    public static string KProj(int layer) => LayerPrefix(layer) + "self_attn.k_proj.weight";
    public static string VProj(int layer) => LayerPrefix(layer) + "self_attn.v_proj.weight";
    public static string OProj(int layer) => LayerPrefix(layer) + "self_attn.o_proj.weight";
    public static string QProjBias(int layer) => LayerPrefix(layer) + "self_attn.q_proj.bias";
    public static string KProjBias(int layer) => LayerPrefix(layer) + "self_attn.k_proj.bias";
    public static string VProjBias(int layer) => LayerPrefix(layer) + "self_attn.v_proj.bias";
    public static string OProjBias(int layer) => LayerPrefix(layer) + "self_attn.o_proj.bias";

    /// <summary>Qwen3 per-head RMSNorm weights, shape (head_dim).</summary>
    public static string QNorm(int layer) => LayerPrefix(layer) + "self_attn.q_norm.weight";
    public static string KNorm(int layer) => LayerPrefix(layer) + "self_attn.k_norm.weight";

    public static string GateProj(int layer) => LayerPrefix(layer) + "mlp.gate_proj.weight";
    public static string UpProj(int layer) => LayerPrefix(layer) + "mlp.up_proj.weight";
    public static string DownProj(int layer) => LayerPrefix(layer) + "mlp.down_proj.weight";
    public static string GateProjBias(int layer) => LayerPrefix(layer) + "mlp.gate_proj.bias";
    public static string UpProjBias(int layer) => LayerPrefix(layer) + "mlp.up_proj.bias";
    public static string DownProjBias(int layer) => LayerPrefix(layer) + "mlp.down_proj.bias";

    /// <summary>Norm before attention (all architectures).</summary>
    public static string InputLayerNorm(int layer) => LayerPrefix(layer) + "input_layernorm.weight";

    /// <summary>
    /// Llama/Mistral/Qwen/Gemma: the norm before the MLP. Gemma-2: the norm applied to the attention OUTPUT
    /// (before the residual add); Gemma-2's pre-MLP norm is <see cref="PreFeedForwardLayerNorm"/>.
    /// </summary>
    public static string PostAttentionLayerNorm(int layer) => LayerPrefix(layer) + "post_attention_layernorm.weight";

    /// <summary>Gemma-2 only: norm before the MLP.</summary>
    public static string PreFeedForwardLayerNorm(int layer) => LayerPrefix(layer) + "pre_feedforward_layernorm.weight";

    /// <summary>Gemma-2 only: norm applied to the MLP output before the residual add.</summary>
    public static string PostFeedForwardLayerNorm(int layer) => LayerPrefix(layer) + "post_feedforward_layernorm.weight";

    /// <summary>
    /// Every tensor the config expects, in a stable order (embedding, layers in order, final norm, lm_head).
    /// With tied embeddings lm_head.weight is NOT listed: it is the embedding (see <see cref="Check"/>).
    /// </summary>
    public static IReadOnlyList<WeightSpec> Expected(ModelConfig c)
    {
        int h = c.HiddenSize, q = c.QueryDim, kv = c.KeyValueDim, f = c.IntermediateSize;
        var list = new List<WeightSpec> { new(EmbedTokens, [c.VocabSize, h]) };
        for (int i = 0; i < c.NumHiddenLayers; i++)
        {
            list.Add(new(InputLayerNorm(i), [h]));
            list.Add(new(QProj(i), [q, h]));
            list.Add(new(KProj(i), [kv, h]));
            list.Add(new(VProj(i), [kv, h]));
            list.Add(new(OProj(i), [h, q]));
            if (c.HasQkvBias)
            {
                list.Add(new(QProjBias(i), [q]));
                list.Add(new(KProjBias(i), [kv]));
                list.Add(new(VProjBias(i), [kv]));
            }
            if (c.HasOutputBias) list.Add(new(OProjBias(i), [h]));
            if (c.HasQkNorm)
            {
                list.Add(new(QNorm(i), [c.HeadDim]));
                list.Add(new(KNorm(i), [c.HeadDim]));
            }
            list.Add(new(PostAttentionLayerNorm(i), [h]));
            if (c.HasPostNorms)
            {
                list.Add(new(PreFeedForwardLayerNorm(i), [h]));
                list.Add(new(PostFeedForwardLayerNorm(i), [h]));
            }
            list.Add(new(GateProj(i), [f, h]));
            list.Add(new(UpProj(i), [f, h]));
            list.Add(new(DownProj(i), [h, f]));
            if (c.HasMlpBias)
            {
                list.Add(new(GateProjBias(i), [f]));
                list.Add(new(UpProjBias(i), [f]));
                list.Add(new(DownProjBias(i), [h]));
            }
        }
        list.Add(new(FinalNorm, [h]));
        if (!c.TieWordEmbeddings) list.Add(new(LmHead, [c.VocabSize, h]));
        return list;
    }

    /// <summary>
    /// The other name of a tied tensor: embed_tokens ↔ lm_head when the config ties them, else null.
    /// </summary>
    public static string? TiedAlias(ModelConfig c, string name) => !c.TieWordEmbeddings ? null : name switch
    {
        EmbedTokens => LmHead,
        LmHead => EmbedTokens,
        _ => null,
    };

    /// <summary>
    /// Matches the tensors present in a checkpoint (name → shape) against the config and reports every missing,
    /// unexpected and mis-shaped tensor at once. Tied embeddings may be stored under either name (TinyStories stores
    /// only lm_head.weight) or both (then both must match). Known-unused buffers (rotary_emb.inv_freq) are ignored.
    /// </summary>
    public static WeightCheck Check(ModelConfig c, IReadOnlyDictionary<string, int[]> present)
    {
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        var missing = new List<string>();
        var misshaped = new List<string>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var spec in Expected(c))
        {
            string? stored = present.ContainsKey(spec.Name) ? spec.Name : null;
            if (stored is null && TiedAlias(c, spec.Name) is { } alias && present.ContainsKey(alias)) stored = alias;
            if (stored is null) { missing.Add(spec.Name); continue; }
            used.Add(stored);
            sources[spec.Name] = stored;
            var shape = present[stored];
            if (!shape.AsSpan().SequenceEqual(spec.Shape))
                misshaped.Add($"{stored}: expected [{string.Join(", ", spec.Shape)}], found [{string.Join(", ", shape)}]");
        }
        // A tied checkpoint that stores lm_head.weight next to the embedding: both must have the embedding's shape.
        if (c.TieWordEmbeddings && present.TryGetValue(LmHead, out var lmShape) && !used.Contains(LmHead))
        {
            used.Add(LmHead);
            if (!lmShape.AsSpan().SequenceEqual([c.VocabSize, c.HiddenSize]))
                misshaped.Add($"{LmHead}: expected [{c.VocabSize}, {c.HiddenSize}], found [{string.Join(", ", lmShape)}]");
        }
        var unexpected = new List<string>();
        var ignored = new List<string>();
        foreach (var name in present.Keys.Order(StringComparer.Ordinal))
        {
            if (used.Contains(name)) continue;
            if (name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal)) ignored.Add(name);
            else unexpected.Add(name);
        }
        return new WeightCheck(sources, missing, unexpected, misshaped, ignored);
    }
}
