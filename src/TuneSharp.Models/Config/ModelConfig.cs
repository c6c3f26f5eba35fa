// HF config.json for the supported decoder-only architectures; defaults and semantics follow transformers'
// configuration_{llama,mistral,qwen2,qwen3,gemma,gemma2}.py and the matching modeling_*.py.
using System.Text.Json;

namespace TuneSharp.Models.Config;

/// <summary>
/// Every config.json field that changes the math of a forward pass, plus derived, engine-friendly
/// properties so model code never branches on <see cref="ModelType"/> strings.
/// Structural sizes (hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, vocab_size)
/// are required; every other field falls back to the default of the architecture's transformers config class.
/// </summary>
public sealed class ModelConfig
{
    /// <summary>model_type values this build understands, in the order error messages list them.</summary>
    public static readonly IReadOnlyList<string> SupportedModelTypes = ArchitectureTable.All.Select(a => a.ModelType).ToList();

    private bool[] _sliding = [];

    private ModelConfig() { }

    /// <summary>File (or label) the config came from; used in error messages.</summary>
    public string Source { get; private init; } = "config.json";

    public ModelArchitecture Architecture => Defaults.Architecture;

    /// <summary>The architecture's row of <see cref="ArchitectureTable"/> (defaults and structural flags).</summary>
    public ArchitectureDefaults Defaults { get; private init; } = ArchitectureTable.All[0];

    /// <summary>The HF "model_type" string (lower case), e.g. "llama".</summary>
    public string ModelType { get; private init; } = "";

    public int HiddenSize { get; private init; }

    public int IntermediateSize { get; private init; }

    public int NumHiddenLayers { get; private init; }

    public int NumAttentionHeads { get; private init; }

    /// <summary>KV heads for grouped-query attention; defaults to <see cref="NumAttentionHeads"/> (MHA).</summary>
    public int NumKeyValueHeads { get; private init; }

    /// <summary>Per-head size; hidden/heads unless the config sets it (Gemma, Qwen3 default to 256 / 128).</summary>
    public int HeadDim { get; private init; }

    public int VocabSize { get; private init; }

    public double RmsNormEps { get; private init; }

    public double RopeTheta { get; private init; }

    /// <summary>Llama-3 frequency scaling, or null for plain RoPE ("default"/absent).</summary>
    public Llama3RopeScaling? RopeScaling { get; private init; }

    public int MaxPositionEmbeddings { get; private init; }

    /// <summary>lm_head shares the embedding matrix. Default: true for gemma/gemma2, false otherwise.</summary>
    public bool TieWordEmbeddings { get; private init; }

    /// <summary>The raw "attention_bias" flag; see <see cref="HasQkvBias"/> and <see cref="HasOutputBias"/> for its per-architecture effect.</summary>
    public bool AttentionBias { get; private init; }

    /// <summary>Bias on gate/up/down projections (llama "mlp_bias").</summary>
    public bool MlpBias { get; private init; }

    /// <summary>The activation name as written in the config (hidden_act, or hidden_activation for Gemma).</summary>
    public string HiddenAct { get; private init; } = "silu";

    public Activation Activation { get; private init; }

    public int? BosTokenId { get; private init; }

    /// <summary>End-of-sequence ids (config may give an int or a list); empty when absent.</summary>
    public IReadOnlyList<int> EosTokenIds { get; private init; } = [];

    public int? PadTokenId { get; private init; }

    /// <summary>
    /// Effective sliding-window size in tokens for the layers where <see cref="IsSlidingLayer"/> is true, or null when
    /// no layer slides. Convention (transformers masking: kv_idx &gt; q_idx − window): query i attends key j iff
    /// 0 ≤ i − j &lt; window, i.e. itself and window − 1 earlier tokens.
    /// </summary>
    public int? SlidingWindow { get; private init; }

    /// <summary>Qwen2/Qwen3 "use_sliding_window" (false in every released checkpoint).</summary>
    public bool UseSlidingWindow { get; private init; }

    /// <summary>Qwen2/Qwen3 "max_window_layers": layers with index ≥ this use the window when enabled.</summary>
    public int? MaxWindowLayers { get; private init; }

    /// <summary>Gemma-2 "query_pre_attn_scalar": attention scores are scaled by its −½ power instead of head_dim's.</summary>
    public double? QueryPreAttnScalar { get; private init; }

    /// <summary>Gemma-2 attention-score softcap c: s ← c·tanh(s/c) after scaling, before the mask; null = off.</summary>
    public double? AttnLogitSoftcapping { get; private init; }

    /// <summary>Gemma-2 final-logit softcap c: logits ← c·tanh(logits/c); null = off.</summary>
    public double? FinalLogitSoftcapping { get; private init; }

    /// <summary>"torch_dtype" (or "dtype") as written, e.g. "bfloat16"; null when absent.</summary>
    public string? TorchDtype { get; private init; }

    // ----- derived properties the engine uses -----

    /// <summary>Gemma RMSNorm multiplies by (1 + w) (weights stored as offsets from 1); others by w.</summary>
    public bool NormAddsOne => Defaults.NormAddsOne;

    /// <summary>
    /// Factor applied to the embedding output: √hidden_size for Gemma (computed in float32 like
    /// torch.tensor(hidden_size**0.5, dtype=float32)), 1 otherwise.
    /// </summary>
    public float EmbeddingScale => NormAddsOne ? (float)Math.Sqrt(HiddenSize) : 1f;

    /// <summary>Multiplier of q·kᵀ: query_pre_attn_scalar^−½ for Gemma-2, head_dim^−½ otherwise.</summary>
    public float AttentionScale => (float)Math.Pow(QueryPreAttnScalar ?? HeadDim, -0.5);

    /// <summary>q, k and v projections carry a bias (Qwen2 always; others when attention_bias).</summary>
    public bool HasQkvBias => Defaults.QkvBiasAlways || (AttentionBias && Defaults.AttentionBiasOnQkv);

    /// <summary>o_proj carries a bias (attention_bias for llama/gemma/gemma2/qwen3; never for qwen2 and mistral).</summary>
    public bool HasOutputBias => AttentionBias && Defaults.AttentionBiasOnOutput;

    /// <summary>gate/up/down projections carry a bias (llama "mlp_bias").</summary>
    public bool HasMlpBias => MlpBias && Defaults.MlpBias;

    /// <summary>Qwen3: RMSNorm over head_dim applied to every q and k head after projection, before RoPE.</summary>
    public bool HasQkNorm => Defaults.QkNorm;

    /// <summary>
    /// Gemma-2 sandwich norms. Layer: h += post_attention_layernorm(attn(input_layernorm(h)));
    /// h += post_feedforward_layernorm(mlp(pre_feedforward_layernorm(h))). Note that Gemma-2's
    /// post_attention_layernorm normalises the attention OUTPUT, while Llama's normalises the MLP input.
    /// </summary>
    public bool HasPostNorms => Defaults.PostNorms;

    /// <summary>q_proj output width: heads · head_dim (may differ from hidden_size for Gemma/Qwen3).</summary>
    public int QueryDim => NumAttentionHeads * HeadDim;

    /// <summary>k_proj / v_proj output width: kv_heads · head_dim.</summary>
    public int KeyValueDim => NumKeyValueHeads * HeadDim;

    /// <summary>Query heads per KV head (GQA group size).</summary>
    public int GroupSize => NumAttentionHeads / NumKeyValueHeads;

    /// <summary>Whether decoder layer <paramref name="layer"/> uses sliding-window attention (see <see cref="SlidingWindow"/>).</summary>
    public bool IsSlidingLayer(int layer)
    {
        if ((uint)layer >= (uint)NumHiddenLayers)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"{Source}: model has {NumHiddenLayers} layers");
        return _sliding[layer];
    }

    /// <summary>RoPE inverse frequencies (head_dim/2 values), float32 as transformers computes them.</summary>
    public float[] RopeInverseFrequencies() => Llama3RopeScaling.InverseFrequencies(HeadDim, RopeTheta, RopeScaling);

    /// <summary>Loads and validates a config.json (or a model folder containing one).</summary>
    public static ModelConfig Load(string path)
    {
        if (Directory.Exists(path)) path = Path.Combine(path, "config.json");
        if (!File.Exists(path)) throw new ConfigException($"{path}: file not found");
        string text;
        try { text = File.ReadAllText(path); }
        catch (IOException e) { throw new ConfigException($"{path}: cannot read ({e.Message})", e); }
        return FromJson(text, path);
    }

    /// <summary>Parses config.json text; <paramref name="source"/> names it in error messages.</summary>
    public static ModelConfig FromJson(string json, string source = "config.json")
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }); }
        catch (JsonException e) { throw new ConfigException($"{source}: invalid JSON ({e.Message})", e); }
        using (doc) return ModelConfigLimits.Validate(Parse(new ConfigReader(doc.RootElement, source)));
    }

    private static ModelConfig Parse(ConfigReader r)
    {
        var (a, modelType) = DetectArchitecture(r);

        int hidden = r.RequiredPositiveInt("hidden_size");
        int intermediate = r.RequiredPositiveInt("intermediate_size");
        int layers = r.RequiredPositiveInt("num_hidden_layers");
        int heads = r.RequiredPositiveInt("num_attention_heads");
        int vocab = r.RequiredPositiveInt("vocab_size");
        int kvHeads = r.PositiveInt("num_key_value_heads", heads);
        if (heads % kvHeads != 0)
            throw r.Error("num_key_value_heads", $"must divide num_attention_heads ({heads})", r.Root.GetProperty("num_key_value_heads"));

        if (!r.Has("head_dim") && a.HeadDim is null && hidden % heads != 0)
            throw r.Error("hidden_size", $"must be divisible by num_attention_heads ({heads}) when head_dim is not given", r.Root.GetProperty("hidden_size"));
        int headDim = r.PositiveInt("head_dim", a.HeadDim ?? hidden / heads);
        if (headDim % 2 != 0)
            throw r.Error("head_dim", "must be even (RoPE rotates pairs)", r.Root.TryGetProperty("head_dim", out var hd) ? hd : null);

        // rope_theta: transformers ≥ 5 nests it (with the type) in "rope_parameters".
        double ropeTheta = r.PositiveDouble("rope_theta", 10000.0);
        Llama3RopeScaling? scaling = null;
        if (r.TryGet("rope_parameters", out var ropeParams))
        {
            if (ropeParams.ValueKind != JsonValueKind.Object) throw r.Error("rope_parameters", "must be an object", ropeParams);
            var sub = new ConfigReader(ropeParams, r.Source + ": \"rope_parameters\"");
            ropeTheta = sub.PositiveDouble("rope_theta", ropeTheta);
            scaling = ParseRopeScaling(r, "rope_parameters", ropeParams);
        }
        if (r.TryGet("rope_scaling", out var ropeScaling))
            scaling = ParseRopeScaling(r, "rope_scaling", ropeScaling);

        // GemmaMLP reads hidden_activation and ignores hidden_act when it is unset.
        string act = r.OptionalString(a.ActivationField) ?? a.Activation;
        var activation = act switch
        {
            "silu" or "swish" => Activation.Silu,
            "gelu_pytorch_tanh" or "gelu_new" or "gelu_fast" => Activation.GeluTanh,
            "gelu" => Activation.Gelu,
            _ => throw r.Error(a.ActivationField, "must be one of silu, gelu_pytorch_tanh, gelu_new, gelu", JsonSerializer.SerializeToElement(act)),
        };

        // Token ids: absent fields take the config class defaults; an explicit null stays null.
        bool present(string f) => r.Root.TryGetProperty(f, out _);
        int? bos = present("bos_token_id") ? r.OptionalNonNegativeInt("bos_token_id") : a.BosTokenId;
        IReadOnlyList<int> eos = present("eos_token_id") ? r.IntOrIntList("eos_token_id") : a.EosTokenId is int e ? [e] : [];
        int? pad = present("pad_token_id") ? r.OptionalNonNegativeInt("pad_token_id") : a.PadTokenId;
        int maxPos = r.PositiveInt("max_position_embeddings", a.MaxPositionEmbeddings);

        // Sliding window. An explicit null disables it; an absent field takes the class default.
        bool useSliding = false;
        int? maxWindowLayers = null;
        int? window = null;
        var sliding = new bool[layers];
        switch (a.SlidingWindow)
        {
            case SlidingWindowRule.AllLayers:
                window = ExplicitNullOr(r, "sliding_window", 4096);
                if (window is not null) Array.Fill(sliding, true);
                break;
            case SlidingWindowRule.FromMaxWindowLayers:
                useSliding = r.Bool("use_sliding_window", false);
                maxWindowLayers = r.OptionalNonNegativeInt("max_window_layers") ?? 28;
                window = useSliding ? ExplicitNullOr(r, "sliding_window", 4096) : null;
                if (window is not null)
                    for (int i = maxWindowLayers.Value; i < layers; i++) sliding[i] = true;
                break;
            case SlidingWindowRule.EvenLayers:
                window = ExplicitNullOr(r, "sliding_window", 4096);
                // transformers 4.42–4.46 Gemma2DecoderLayer: is_sliding = not bool(layer_idx % 2), i.e. even
                // layers slide; ≥ 4.47 writes the same pattern into "layer_types", which wins when present.
                if (window is not null)
                    for (int i = 0; i < layers; i += 2) sliding[i] = true;
                break;
        }
        double? queryPreAttn = a.QueryPreAttnScalar is double q ? r.PositiveDouble("query_pre_attn_scalar", q) : null;
        double? attnCap = a.AttnLogitSoftcapping is double ac ? NullableDouble(r, "attn_logit_softcapping", ac) : null;
        double? finalCap = a.FinalLogitSoftcapping is double fc ? NullableDouble(r, "final_logit_softcapping", fc) : null;
        if (r.TryGet("layer_types", out var layerTypes) && a.LayerTypes)
        {
            if (layerTypes.ValueKind != JsonValueKind.Array || layerTypes.GetArrayLength() != layers)
                throw r.Error("layer_types", $"must be a list of {layers} strings (one per layer)", layerTypes);
            int i = 0;
            foreach (var t in layerTypes.EnumerateArray())
            {
                sliding[i++] = t.ValueKind == JsonValueKind.String ? t.GetString() switch
                {
                    "sliding_attention" => true,
                    "full_attention" => false,
                    _ => throw r.Error("layer_types", "entries must be \"sliding_attention\" or \"full_attention\"", t),
                } : throw r.Error("layer_types", "entries must be strings", t);
            }
            if (sliding.Any(s => s))
            {
                // Newer Qwen configs keep "sliding_window" even when layer_types decides; it must exist then.
                window ??= r.OptionalPositiveInt("sliding_window")
                    ?? throw r.Error("sliding_window", "is required when layer_types contains \"sliding_attention\"");
            }
            else window = null;
        }
        if (window is null) Array.Fill(sliding, false);

        return new ModelConfig
        {
            Source = r.Source,
            Defaults = a,
            ModelType = modelType,
            HiddenSize = hidden,
            IntermediateSize = intermediate,
            NumHiddenLayers = layers,
            NumAttentionHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = headDim,
            VocabSize = vocab,
            RmsNormEps = r.PositiveDouble("rms_norm_eps", 1e-6),
            RopeTheta = ropeTheta,
            RopeScaling = scaling,
            MaxPositionEmbeddings = maxPos,
            TieWordEmbeddings = r.Bool("tie_word_embeddings", a.TieWordEmbeddings),
            AttentionBias = r.Bool("attention_bias", false),
            MlpBias = r.Bool("mlp_bias", false),
            HiddenAct = act,
            Activation = activation,
            BosTokenId = bos,
            EosTokenIds = eos,
            PadTokenId = pad,
            SlidingWindow = window,
            UseSlidingWindow = useSliding,
            MaxWindowLayers = maxWindowLayers,
            QueryPreAttnScalar = queryPreAttn,
            AttnLogitSoftcapping = attnCap,
            FinalLogitSoftcapping = finalCap,
            TorchDtype = r.OptionalString("torch_dtype") ?? r.OptionalString("dtype"),
            _sliding = sliding,
        };
    }

    private static (ArchitectureDefaults, string) DetectArchitecture(ConfigReader r)
    {
        string? modelType = r.OptionalString("model_type");
        if (modelType is null && r.TryGet("architectures", out var archs) && archs.ValueKind == JsonValueKind.Array && archs.GetArrayLength() > 0)
        {
            string? cls = archs[0].GetString();
            modelType = (cls is null ? null : ArchitectureTable.ByHfClass(cls))?.ModelType ?? throw new ConfigException(
                $"{r.Source}: \"architectures\" {cls} is not supported (supported model_type: {string.Join(", ", SupportedModelTypes)})");
        }
        // Neither field: a bare Llama-style config (e.g. shared/assets/models/configs/bench20m.json).
        modelType ??= "llama";
        var a = ArchitectureTable.ByModelType(modelType) ?? throw new ConfigException(
            $"{r.Source}: \"model_type\" \"{modelType}\" is not supported (supported: {string.Join(", ", SupportedModelTypes)})");
        return (a, modelType);
    }

    private static Llama3RopeScaling? ParseRopeScaling(ConfigReader r, string field, JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.Object) throw r.Error(field, "must be an object or null", v);
        var sub = new ConfigReader(v, r.Source);
        // "type" is the pre-4.43 spelling of "rope_type".
        string? type = sub.OptionalString("rope_type") ?? sub.OptionalString("type");
        switch (type)
        {
            case null or "default":
                return null;
            case Llama3RopeScaling.Llama3Type:
                var s = new Llama3RopeScaling(
                    Need(sub, field, "factor"),
                    Need(sub, field, "low_freq_factor"),
                    Need(sub, field, "high_freq_factor"),
                    checked((int)Need(sub, field, "original_max_position_embeddings")));
                if (!(s.HighFreqFactor > s.LowFreqFactor))
                    throw new ConfigException($"{r.Source}: \"{field}.high_freq_factor\" must be greater than low_freq_factor (got {ConfigReader.Invariant(s.HighFreqFactor)} ≤ {ConfigReader.Invariant(s.LowFreqFactor)})");
                return s;
            default:
                throw new ConfigException($"{r.Source}: \"{field}.rope_type\" \"{type}\" is not supported (supported: default, llama3)");
        }
    }

    private static double Need(ConfigReader sub, string parent, string field)
    {
        if (!sub.TryGet(field, out var v)) throw new ConfigException($"{sub.Source}: \"{parent}.{field}\" is required for rope_type llama3");
        if (v.ValueKind != JsonValueKind.Number || !(v.GetDouble() > 0))
            throw new ConfigException($"{sub.Source}: \"{parent}.{field}\" must be a positive number (got {v.GetRawText()})");
        return v.GetDouble();
    }

    private static int? ExplicitNullOr(ConfigReader r, string field, int fallback)
    {
        if (!r.Root.TryGetProperty(field, out var v)) return fallback;
        if (v.ValueKind == JsonValueKind.Null) return null;
        return r.OptionalPositiveInt(field);
    }

    private static double? NullableDouble(ConfigReader r, string field, double fallback)
    {
        if (!r.Root.TryGetProperty(field, out var v)) return fallback;
        if (v.ValueKind == JsonValueKind.Null) return null;
        return r.PositiveDouble(field, fallback);
    }

    public override string ToString() =>
        $"{ModelType}: layers={NumHiddenLayers} hidden={HiddenSize} heads={NumAttentionHeads}/{NumKeyValueHeads}×{HeadDim} ffn={IntermediateSize} vocab={VocabSize}";
}
