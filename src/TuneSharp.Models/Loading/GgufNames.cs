// GGUF (llama.cpp) tensor names ↔ HF names for the llama architecture (llama.cpp gguf-py tensor_mapping.py,
// MODEL_TENSOR names: token_embd, blk.N.attn_*, blk.N.ffn_*, output_norm, output).
using System.Globalization;

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

    /// <summary>HF name of a llama GGUF tensor ("blk.0.attn_q.weight" → "model.layers.0.self_attn.q_proj.weight"), or null if unknown.</summary>
    public static string? ToHf(string ggufName)
    {
        var (stem, suffix) = SplitSuffix(ggufName);
        if (suffix is null) return null;
        foreach (var (g, h) in Globals)
            if (stem == g) return h + suffix;
        if (!stem.StartsWith("blk.", StringComparison.Ordinal)) return null;
        int dot = stem.IndexOf('.', 4);
        if (dot < 0 || !int.TryParse(stem.AsSpan(4, dot - 4), NumberStyles.None, CultureInfo.InvariantCulture, out var layer)) return null;
        var part = stem[(dot + 1)..];
        foreach (var (g, h) in LayerParts)
            if (part == g) return WeightNames.LayerPrefix(layer) + h + suffix;
        return null;
    }

    /// <summary>GGUF name of an HF tensor ("model.norm.weight" → "output_norm.weight"), or null if unknown.</summary>
    public static string? FromHf(string hfName)
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
        foreach (var (g, h) in LayerParts)
            if (part == h) return $"blk.{layer}.{g}{suffix}";
        return null;
    }

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
