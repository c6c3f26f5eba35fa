// GGUF (llama.cpp) tensor names ↔ HF names for the six architectures (llama.cpp gguf-py tensor_mapping.py and
// constants.py MODEL_TENSOR names: token_embd, blk.N.attn_*, blk.N.ffn_*, blk.N.post_*_norm, output_norm, output),
// and the GGUF general.architecture of each.
using System.Globalization;
using TuneSharp.Models.Config;

namespace TuneSharp.Models.Loading;

/// <summary>
/// Name mapping for GGUF files written by llama.cpp's convert_hf_to_gguf.py for Llama-family models.
/// GGUF lists dimensions innermost first, so a GGUF shape [in, out] is the HF (out, in) matrix with the same bytes.
/// attn_q / attn_k rows are permuted for llama.cpp's RoPE layout; undo it with <see cref="GgufQkPermutation"/>.
/// </summary>
public static class GgufNames
{
    private static readonly (string Gguf, string Hf)[] Globals =
    [
        ("token_embd", "model.embed_tokens"),
        ("output_norm", "model.norm"),
        ("output", "lm_head"),
    ];

    // blk.N.<gguf> ↔ model.layers.N.<hf>. Qwen3's per-head norms use attn_q_norm / attn_k_norm.
    private static readonly (string Gguf, string Hf)[] LayerParts =
    [
        ("attn_norm", "input_layernorm"),
        ("attn_q", "self_attn.q_proj"),
        ("attn_k", "self_attn.k_proj"),
        ("attn_v", "self_attn.v_proj"),
        ("attn_output", "self_attn.o_proj"),
        ("attn_q_norm", "self_attn.q_norm"),
        ("attn_k_norm", "self_attn.k_norm"),
        ("ffn_norm", "post_attention_layernorm"),
        ("ffn_gate", "mlp.gate_proj"),
        ("ffn_up", "mlp.up_proj"),
        ("ffn_down", "mlp.down_proj"),
    ];

    // Gemma-2 sandwich norms (LLM_ARCH_GEMMA2): post_attention_layernorm is applied to the attention output there.
    private static readonly (string Gguf, string Hf)[] Gemma2Norms =
    [
        ("post_attention_norm", "post_attention_layernorm"),
        ("ffn_norm", "pre_feedforward_layernorm"),
        ("post_ffw_norm", "post_feedforward_layernorm"),
    ];

    /// <summary>llama.cpp's general.architecture for a model (Mistral is written as "llama", as convert_hf_to_gguf.py does).</summary>
    public static string GgufArchitecture(ModelArchitecture a) => a switch
    {
        ModelArchitecture.Llama or ModelArchitecture.Mistral => "llama",
        ModelArchitecture.Qwen2 => "qwen2",
        ModelArchitecture.Qwen3 => "qwen3",
        ModelArchitecture.Gemma => "gemma",
        ModelArchitecture.Gemma2 => "gemma2",
        _ => throw new ArgumentOutOfRangeException(nameof(a), a, null),
    };

    /// <summary>True when llama.cpp's converter row-permutes attn_q/attn_k (normal-style RoPE: llama and mistral only).</summary>
    public static bool PermutesQk(ModelArchitecture a) => a is ModelArchitecture.Llama or ModelArchitecture.Mistral;

    /// <summary>True when llama.cpp stores RMSNorm weights as 1 + w (Gemma's converter adds one; HF stores w).</summary>
    public static bool NormsStoredPlusOne(ModelArchitecture a) => a is ModelArchitecture.Gemma or ModelArchitecture.Gemma2;

    private static IEnumerable<(string Gguf, string Hf)> Parts(ModelArchitecture a) =>
        a == ModelArchitecture.Gemma2 ? Gemma2Norms.Concat(LayerParts.Where(p => p.Gguf != "ffn_norm")) : LayerParts;

    /// <summary>HF name of a GGUF tensor for architecture <paramref name="arch"/>, or null if unknown.</summary>
    public static string? ToHf(string ggufName, ModelArchitecture arch)
    {
        var (stem, suffix) = SplitSuffix(ggufName);
        if (suffix is null) return null;
        foreach (var (g, h) in Globals)
            if (stem == g) return h + suffix;
        if (!stem.StartsWith("blk.", StringComparison.Ordinal)) return null;
        int dot = stem.IndexOf('.', 4);
        if (dot < 0 || !int.TryParse(stem.AsSpan(4, dot - 4), NumberStyles.None, CultureInfo.InvariantCulture, out var layer)) return null;
        var part = stem[(dot + 1)..];
        foreach (var (g, h) in Parts(arch))
            if (part == g) return WeightNames.LayerPrefix(layer) + h + suffix;
        return null;
    }

    /// <summary>GGUF name of an HF tensor for architecture <paramref name="arch"/>, or null if unknown.</summary>
    public static string? FromHf(string hfName, ModelArchitecture arch)
    {
        var (stem, suffix) = SplitSuffix(hfName);
        if (suffix is null) return null;
        foreach (var (g, h) in Globals)
            if (stem == h) return g + suffix;
        const string prefix = "model.layers.";
        if (!stem.StartsWith(prefix, StringComparison.Ordinal)) return null;
        int dot = stem.IndexOf('.', prefix.Length);
        if (dot < 0 || !int.TryParse(stem.AsSpan(prefix.Length, dot - prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var layer)) return null;
        var part = stem[(dot + 1)..];
        foreach (var (g, h) in Parts(arch))
            if (part == h) return $"blk.{layer}.{g}{suffix}";
        return null;
    }

    /// <summary>HF name of a llama GGUF tensor ("blk.0.attn_q.weight" → "model.layers.0.self_attn.q_proj.weight"), or null if unknown.</summary>
    public static string? ToHf(string ggufName) => ToHf(ggufName, ModelArchitecture.Llama);

    /// <summary>GGUF name of an HF tensor ("model.norm.weight" → "output_norm.weight"), or null if unknown.</summary>
    public static string? FromHf(string hfName) => FromHf(hfName, ModelArchitecture.Llama);

    /// <summary>True for the tensors llama.cpp row-permutes (attn_q with n_head, attn_k with n_head_kv).</summary>
    public static bool IsPermutedQk(string ggufName, out bool isKey)
    {
        isKey = ggufName.Contains(".attn_k.", StringComparison.Ordinal);
        return isKey || ggufName.Contains(".attn_q.", StringComparison.Ordinal);
    }

    private static (string Stem, string? Suffix) SplitSuffix(string name)
    {
        if (name.EndsWith(".weight", StringComparison.Ordinal)) return (name[..^7], ".weight");
        if (name.EndsWith(".bias", StringComparison.Ordinal)) return (name[..^5], ".bias");
        return (name, null);
    }
}
