// One row of the architecture table: what an HF config.json of a model_type means when a field is absent, and which
// structural features (biases, norms, windows, softcaps) the architecture's modeling_*.py has.
namespace TuneSharp.Models.Config;

/// <summary>
/// The per-architecture facts <see cref="ModelConfig"/> and the decoder builder (<c>CausalLM.Build</c>) read. Defaults
/// follow transformers' configuration_&lt;model_type&gt;.py class defaults; flags follow modeling_&lt;model_type&gt;.py.
/// Adding an architecture of the same decoder family is one new entry in <see cref="ArchitectureTable"/>.
/// </summary>
public sealed record ArchitectureDefaults
{
    public required ModelArchitecture Architecture { get; init; }

    /// <summary>config.json "model_type".</summary>
    public required string ModelType { get; init; }

    /// <summary>config.json "architectures"[0], e.g. "LlamaForCausalLM".</summary>
    public required string HfClass { get; init; }

    /// <summary>head_dim when absent; null = hidden_size / num_attention_heads.</summary>
    public int? HeadDim { get; init; }

    /// <summary>The config field naming the MLP activation ("hidden_act"; Gemma reads "hidden_activation").</summary>
    public string ActivationField { get; init; } = "hidden_act";

    public string Activation { get; init; } = "silu";

    public int? BosTokenId { get; init; }

    public int? EosTokenId { get; init; }

    public int? PadTokenId { get; init; }

    public required int MaxPositionEmbeddings { get; init; }

    public bool TieWordEmbeddings { get; init; }

    /// <summary>Gemma RMSNorm: y·(1 + w), embeddings ·√hidden.</summary>
    public bool NormAddsOne { get; init; }

    /// <summary>q/k/v projections always carry a bias (Qwen2).</summary>
    public bool QkvBiasAlways { get; init; }

    /// <summary>"attention_bias" adds biases to q/k/v.</summary>
    public bool AttentionBiasOnQkv { get; init; } = true;

    /// <summary>"attention_bias" adds a bias to o_proj.</summary>
    public bool AttentionBiasOnOutput { get; init; } = true;

    /// <summary>"mlp_bias" is honoured (Llama).</summary>
    public bool MlpBias { get; init; }

    /// <summary>Per-head q_norm / k_norm before RoPE (Qwen3).</summary>
    public bool QkNorm { get; init; }

    /// <summary>Sandwich norms around attention and MLP (Gemma-2).</summary>
    public bool PostNorms { get; init; }

    public SlidingWindowRule SlidingWindow { get; init; }

    /// <summary>"layer_types" (transformers ≥ 4.47) overrides the sliding pattern.</summary>
    public bool LayerTypes { get; init; } = true;

    /// <summary>Gemma-2 defaults: query_pre_attn_scalar, attention and final logit softcaps.</summary>
    public double? QueryPreAttnScalar { get; init; }

    public double? AttnLogitSoftcapping { get; init; }

    public double? FinalLogitSoftcapping { get; init; }
}
