// Loads a llama-architecture GGUF (llama.cpp convert_hf_to_gguf.py output): config from metadata, tensors dequantized
// (F32/F16/BF16/Q8_0/Q4_0/Q4_K/Q6_K) with llama.cpp's Q/K row permutation undone (see GgufQkPermutation).
using System.Text.Json.Nodes;
using TuneSharp.Models.Config;
using TuneSharp.Tensors;
using TuneSharp.Tensors.Kernels.Quant;
using TuneSharp.Tokenizers.Gguf;

namespace TuneSharp.Models.Loading;

internal static class LlamaGgufLoader
{
    public static CausalLM Load(string path, ModelLoadOptions options)
    {
        GgufFile f;
        try { f = GgufFile.Open(path); }
        catch (Exception e) when (e is GgufFormatException or IOException) { throw new ModelLoadException($"{path}: {e.Message}", e); }

        string arch = f.GetString("general.architecture") ?? throw new ModelLoadException($"{path}: GGUF metadata lacks general.architecture");
        if (arch != "llama")
            throw new ModelLoadException($"{path}: GGUF general.architecture \"{arch}\" is not supported (supported: llama)");
        var byName = f.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var config = ConfigFromMetadata(f, byName, path);

        // Shapes in HF order (GGUF lists dims innermost first).
        var present = new Dictionary<string, int[]>(StringComparer.Ordinal);
        var unknown = new List<string>();
        var hfToGguf = new Dictionary<string, GgufTensorInfo>(StringComparer.Ordinal);
        foreach (var t in f.Tensors)
        {
            if (t.Name == "rope_freqs.weight") continue; // checked in ConfigFromMetadata
            var hf = GgufNames.ToHf(t.Name);
            if (hf is null) { unknown.Add(t.Name); continue; }
            present[hf] = t.Dims.Reverse().Select(d => checked((int)d)).ToArray();
            hfToGguf[hf] = t;
        }
        var check = WeightNames.Check(config, present);
        var problems = new List<string>();
        if (unknown.Count > 0) problems.Add($"  unknown GGUF tensors: {string.Join(", ", unknown)}");
        if (check.Missing.Count > 0) problems.Add($"  missing ({check.Missing.Count}): {string.Join(", ", check.Missing.Select(n => $"{GgufNames.FromHf(n)} ({n})"))}");
        foreach (var u in check.Unexpected) problems.Add($"  unexpected: {GgufNames.FromHf(u)} ({u})");
        foreach (var m in check.Misshaped) problems.Add("  wrong shape (HF order): " + m);
        foreach (var (_, stored) in check.Sources)
            if (!Enum.IsDefined((GgmlQuantType)(int)hfToGguf[stored].Type))
                problems.Add($"  {hfToGguf[stored].Name}: ggml type {hfToGguf[stored].Type} is not supported (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K)");
        if (problems.Count > 0)
            throw new ModelLoadException($"{path}: GGUF tensors do not match the llama config from its metadata:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");

        var owned = new List<IDisposable>();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess);
            foreach (var (expected, stored) in check.Sources)
            {
                var info = hfToGguf[stored];
                var type = (GgmlQuantType)(int)info.Type;
                long n = info.ElementCount;
                long bytes = GgmlQuant.ByteCount(type, n);
                long offset = f.TensorDataOffset(info);
                if (offset + bytes > fs.Length)
                    throw new ModelLoadException($"{path}: tensor {info.Name} ends at byte {offset + bytes} but the file has {fs.Length} bytes (truncated?)");
                var raw = new byte[bytes];
                RandomAccess.Read(fs.SafeFileHandle, raw, offset);
                var values = new float[n];
                GgmlQuant.Dequantize(type, raw, values);
                int[] shape = present[stored];
                if (GgufNames.IsPermutedQk(info.Name, out bool isKey))
                {
                    var hfLayout = new float[n];
                    GgufQkPermutation.Unpermute<float>(values, hfLayout, isKey ? config.NumKeyValueHeads : config.NumAttentionHeads, shape[1]);
                    values = hfLayout;
                }
                var t = shape.Length == 2 && options.DType == ModelDType.BFloat16
                    ? Tensor.FromArrayBf16(values, shape)
                    : Tensor.FromArray(values, shape);
                owned.Add(t);
                tensors[expected] = t;
            }
            return CausalLM.Build(config, tensors, owned, path);
        }
        catch
        {
            foreach (var o in owned) o.Dispose();
            throw;
        }
    }

    /// <summary>An HF-style config.json for the llama GGUF metadata (llama.* keys), parsed by <see cref="ModelConfig"/>.</summary>
    internal static ModelConfig ConfigFromMetadata(GgufFile f, IReadOnlyDictionary<string, GgufTensorInfo> tensors, string path)
    {
        long Need(string key) => f.GetInt(key) ?? throw new ModelLoadException($"{path}: GGUF metadata lacks {key}");
        double? Dbl(string key) => f.TryGet(key, out var v) ? v.AsDouble() : null;
        if (f.GetString("llama.rope.scaling.type") is { } st && st != "none")
            throw new ModelLoadException($"{path}: GGUF llama.rope.scaling.type \"{st}\" is not supported");
        if (tensors.ContainsKey("rope_freqs.weight"))
            throw new ModelLoadException($"{path}: GGUF tensor rope_freqs.weight (llama3 RoPE scaling) is not supported");
        try { ModelConfigLimits.ValidateGguf(path, f.GetInt); } catch (ConfigException ex) { throw new ModelLoadException(ex.Message, ex); }
        int heads = (int)Need("llama.attention.head_count");
        int hidden = (int)Need("llama.embedding_length");
        int vocab = f.GetArray<string>("tokenizer.ggml.tokens")?.Length
            ?? (tensors.TryGetValue("token_embd.weight", out var te) ? (int)te.Dims[1] : throw new ModelLoadException($"{path}: cannot tell the vocabulary size"));
        var json = new JsonObject
        {
            ["model_type"] = "llama",
            ["hidden_size"] = hidden,
            ["intermediate_size"] = (int)Need("llama.feed_forward_length"),
            ["num_hidden_layers"] = (int)Need("llama.block_count"),
            ["num_attention_heads"] = heads,
            ["num_key_value_heads"] = (int)(f.GetInt("llama.attention.head_count_kv") ?? heads),
            ["head_dim"] = (int)(f.GetInt("llama.attention.key_length") ?? f.GetInt("llama.rope.dimension_count") ?? hidden / heads),
            ["vocab_size"] = vocab,
            ["rms_norm_eps"] = Dbl("llama.attention.layer_norm_rms_epsilon") ?? 1e-5,
            ["rope_theta"] = Dbl("llama.rope.freq_base") ?? 10000.0,
            ["max_position_embeddings"] = (int)(f.GetInt("llama.context_length") ?? 2048),
            ["tie_word_embeddings"] = !tensors.ContainsKey("output.weight"),
            ["bos_token_id"] = f.GetInt("tokenizer.ggml.bos_token_id") is { } b ? JsonValue.Create((int)b) : null,
            ["eos_token_id"] = f.GetInt("tokenizer.ggml.eos_token_id") is { } e ? JsonValue.Create((int)e) : null,
        };
        try { return ModelConfig.FromJson(json.ToJsonString(), path + " (GGUF metadata)"); }
        catch (ConfigException ex) { throw new ModelLoadException(ex.Message, ex); }
    }
}
