// Tiny random models of the six architectures for export tests (rows of 256 so every k-quant applies without
// fallback), with weights scaled so logits are well separated and argmax comparisons are stable.
using TuneSharp.Models;
using TuneSharp.Models.Config;
using TuneSharp.Testing;

namespace TuneSharp.Export.Tests;

internal static class TinyModels
{
    public static readonly string[] Architectures = ["llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2"];

    public static string TokenizerFolder => SharedAssets.Require("models/tinystories-656k");

    public static string ConfigJson(string arch, int vocab = 2048, int layers = 2) => arch switch
    {
        "gemma2" => $$"""{"model_type":"gemma2","hidden_size":256,"intermediate_size":512,"num_hidden_layers":{{layers}},"num_attention_heads":4,"num_key_value_heads":2,"head_dim":64,"vocab_size":{{vocab}},"rms_norm_eps":1e-6,"rope_theta":10000.0,"max_position_embeddings":512,"query_pre_attn_scalar":64,"attn_logit_softcapping":50.0,"final_logit_softcapping":30.0,"sliding_window":4096,"bos_token_id":1,"eos_token_id":2,"pad_token_id":0,"tie_word_embeddings":true}""",
        "gemma" => $$"""{"model_type":"gemma","hidden_size":256,"intermediate_size":512,"num_hidden_layers":{{layers}},"num_attention_heads":4,"num_key_value_heads":2,"head_dim":64,"vocab_size":{{vocab}},"rms_norm_eps":1e-6,"rope_theta":10000.0,"max_position_embeddings":512,"bos_token_id":1,"eos_token_id":2,"pad_token_id":0,"tie_word_embeddings":true}""",
        "qwen3" => $$"""{"model_type":"qwen3","hidden_size":256,"intermediate_size":512,"num_hidden_layers":{{layers}},"num_attention_heads":4,"num_key_value_heads":2,"head_dim":64,"vocab_size":{{vocab}},"rms_norm_eps":1e-6,"rope_theta":1000000.0,"max_position_embeddings":512,"bos_token_id":1,"eos_token_id":2,"tie_word_embeddings":false}""",
        "qwen2" => $$"""{"model_type":"qwen2","hidden_size":256,"intermediate_size":512,"num_hidden_layers":{{layers}},"num_attention_heads":4,"num_key_value_heads":2,"vocab_size":{{vocab}},"rms_norm_eps":1e-6,"rope_theta":1000000.0,"max_position_embeddings":512,"bos_token_id":1,"eos_token_id":2,"tie_word_embeddings":false}""",
        "mistral" => $$"""{"model_type":"mistral","hidden_size":256,"intermediate_size":512,"num_hidden_layers":{{layers}},"num_attention_heads":4,"num_key_value_heads":2,"vocab_size":{{vocab}},"rms_norm_eps":1e-5,"rope_theta":10000.0,"max_position_embeddings":512,"sliding_window":4096,"bos_token_id":1,"eos_token_id":2,"tie_word_embeddings":false}""",
        _ => $$"""{"model_type":"llama","hidden_size":256,"intermediate_size":512,"num_hidden_layers":{{layers}},"num_attention_heads":4,"num_key_value_heads":2,"vocab_size":{{vocab}},"rms_norm_eps":1e-5,"rope_theta":10000.0,"max_position_embeddings":512,"bos_token_id":1,"eos_token_id":2,"tie_word_embeddings":true}""",
    };

    public static ModelConfig Config(string arch) => ModelConfig.FromJson(ConfigJson(arch), arch + " (test config)");

    /// <summary>A random model: matrices σ≈0.1 (embedding σ≈1), norm weights near their identity with noise, biases random.</summary>
    public static CausalLM Create(string arch, int seed = 1)
    {
        var model = CausalLM.CreateRandom(Config(arch), seed: seed);
        var rng = new Random(seed + 100);
        foreach (var (name, p) in model.NamedParameters())
        {
            var s = p.Value.Span;
            bool norm = name.EndsWith("norm.weight", StringComparison.Ordinal);
            for (int i = 0; i < s.Length; i++)
            {
                if (norm) s[i] += (rng.NextSingle() - 0.5f) * 0.2f;
                else if (name.EndsWith(".bias", StringComparison.Ordinal)) s[i] = (rng.NextSingle() - 0.5f) * 0.2f;
                else s[i] *= name == "model.embed_tokens.weight" ? 50f : 5f;
            }
        }
        return model;
    }

    /// <summary>Our logits (T, V) of one sequence.</summary>
    public static float[] Logits(CausalLM model, int[] ids)
    {
        using var input = CausalLMInput.Create(ids, 1);
        return model.ComputeLogits(input);
    }

    /// <summary>Greedy continuation by full recomputation (tiny models: clarity over speed).</summary>
    public static int[] Greedy(CausalLM model, int[] prompt, int steps)
    {
        var ids = prompt.ToList();
        var result = new int[steps];
        int v = model.Config.VocabSize;
        for (int s = 0; s < steps; s++)
        {
            var logits = Logits(model, ids.ToArray());
            int next = LlamaCppModel.ArgMax(logits.AsSpan((ids.Count - 1) * v, v));
            result[s] = next;
            ids.Add(next);
        }
        return result;
    }
}
