// The decoder-only architectures TuneSharp models, keyed by HF config.json "model_type".
namespace TuneSharp.Models.Config;

/// <summary>Architecture family; each value matches one transformers modeling_*.py file.</summary>
public enum ModelArchitecture
{
    /// <summary>model_type "llama" (modeling_llama.py).</summary>
    Llama,

    /// <summary>model_type "mistral" (modeling_mistral.py): Llama plus sliding-window attention.</summary>
    Mistral,

    /// <summary>model_type "qwen2" (modeling_qwen2.py): q/k/v projections carry a bias, o_proj does not.</summary>
    Qwen2,

    /// <summary>model_type "qwen3" (modeling_qwen3.py): per-head RMSNorm on q and k (q_norm/k_norm).</summary>
    Qwen3,

    /// <summary>model_type "gemma" (modeling_gemma.py): (1 + w) RMSNorm, √hidden embedding scale, GeGLU.</summary>
    Gemma,

    /// <summary>model_type "gemma2" (modeling_gemma2.py): Gemma plus softcapping, sliding layers, sandwich norms.</summary>
    Gemma2,
}
