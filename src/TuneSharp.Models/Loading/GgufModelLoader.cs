// Loads a GGUF of the six architectures (llama.cpp convert_hf_to_gguf.py output: llama, qwen2, qwen3, gemma, gemma2):
// config from the <arch>.* metadata, tensors dequantized (F32/F16/BF16/Q8_0/Q5_1/Q5_0/Q4_0/Q4_K/Q5_K/Q6_K) with
// llama.cpp's Q/K row permutation undone for llama (GgufQkPermutation) and Gemma's stored 1 + w norms turned back into w.
using System.Text.Json.Nodes;
using TuneSharp.Models.Config;
using TuneSharp.Tensors;
using TuneSharp.Tensors.Kernels.Quant;
using TuneSharp.Tensors.IO.Gguf;

namespace TuneSharp.Models.Loading;

internal static class GgufModelLoader
{
    public static CausalLM Load(string path, ModelLoadOptions options)
    {
        GgufFile f;
        try { f = GgufFile.Open(path); }
        catch (Exception e) when (e is GgufFormatException or IOException) { throw new ModelLoadException($"{path}: {e.Message}", e); }

        string archName = f.GetString("general.architecture") ?? throw new ModelLoadException($"{path}: GGUF metadata lacks general.architecture");
        var arch = archName switch
        {
            "llama" => ModelArchitecture.Llama,
            "qwen2" => ModelArchitecture.Qwen2,
            "qwen3" => ModelArchitecture.Qwen3,
            "gemma" => ModelArchitecture.Gemma,
            "gemma2" => ModelArchitecture.Gemma2,
            _ => throw new ModelLoadException($"{path}: GGUF general.architecture \"{archName}\" is not supported (supported: llama, qwen2, qwen3, gemma, gemma2)"),
        };
        if (f.GetString("general.type") is "adapter")
            throw new ModelLoadException($"{path}: this GGUF is a LoRA adapter (general.type = adapter), not a model; load its base model instead");
        var byName = f.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var config = ConfigFromMetadata(f, byName, path, archName);

        // Shapes in HF order (GGUF lists dims innermost first).
        var present = new Dictionary<string, int[]>(StringComparer.Ordinal);
        var unknown = new List<string>();
        var hfToGguf = new Dictionary<string, GgufTensorInfo>(StringComparer.Ordinal);
        foreach (var t in f.Tensors)
        {
            if (t.Name == "rope_freqs.weight") continue; // checked in ConfigFromMetadata
            var hf = GgufNames.ToHf(t.Name, arch);
            if (hf is null) { unknown.Add(t.Name); continue; }
            present[hf] = t.Dims.Reverse().Select(d => checked((int)d)).ToArray();
            hfToGguf[hf] = t;
        }
        var check = WeightNames.Check(config, present);
        var problems = new List<string>();
        if (unknown.Count > 0) problems.Add($"  unknown GGUF tensors: {string.Join(", ", unknown)}");
        if (check.Missing.Count > 0) problems.Add($"  missing ({check.Missing.Count}): {string.Join(", ", check.Missing.Select(n => $"{GgufNames.FromHf(n, arch)} ({n})"))}");
        foreach (var u in check.Unexpected) problems.Add($"  unexpected: {GgufNames.FromHf(u, arch)} ({u})");
        foreach (var m in check.Misshaped) problems.Add("  wrong shape (HF order): " + m);
        foreach (var (_, stored) in check.Sources)
            if (!GgmlQuant.CanDequantize(hfToGguf[stored].Type))
                problems.Add($"  {hfToGguf[stored].Name}: ggml type {hfToGguf[stored].Type} is not supported (supported: F32, F16, BF16, Q8_0, Q5_1, Q5_0, Q4_0, Q4_K, Q5_K, Q6_K)");
        if (problems.Count > 0)
            throw new ModelLoadException($"{path}: GGUF tensors do not match the {archName} config from its metadata:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");

        var owned = new List<IDisposable>();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var kept = new Dictionary<string, GgmlQuantMatrix>(StringComparer.Ordinal);
        GgmlQuantMatrix? embedding = null;
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess);
            foreach (var (expected, stored) in check.Sources)
            {
                var info = hfToGguf[stored];
                var type = info.Type;
                long n = info.ElementCount;
                long bytes = GgmlQuant.ByteCount(type, n);
                long offset = f.TensorDataOffset(info);
                if (offset + bytes > fs.Length)
                    throw new ModelLoadException($"{path}: tensor {info.Name} ends at byte {offset + bytes} but the file has {fs.Length} bytes (truncated?)");
                var raw = new byte[bytes];
                RandomAccess.Read(fs.SafeFileHandle, raw, offset);
                int[] shape = present[stored];
                if (options.KeepGgufQuantized && shape.Length == 2 && KeepsQuantized(type) && expected != WeightNames.EmbedTokens
                    && shape[1] % GgmlQuant.BlockSize(type) == 0)
                {
                    // Rows are independent block runs, so llama.cpp's Q/K row permutation is undone on whole rows of bytes.
                    if (GgufNames.PermutesQk(arch) && GgufNames.IsPermutedQk(info.Name, out bool key))
                        raw = UnpermuteRows(raw, shape[0], key ? config.NumKeyValueHeads : config.NumAttentionHeads);
                    kept[expected] = new GgmlQuantMatrix(type, shape[0], shape[1], raw);
                    // Placeholder (out, 0): Build checks bias lengths against the row count; Forward never reads it.
                    var ph = Tensor.Zeros(DType.F32, shape[0], 0);
                    owned.Add(ph);
                    tensors[expected] = ph;
                    continue;
                }
                // The token embedding stays in its ggml type too (lookups dequantize their rows, as llama.cpp's
                // get_rows does); a tied head multiplies with the same bytes, so resident weights ≈ the file.
                if (options.KeepGgufQuantized && expected == WeightNames.EmbedTokens && shape.Length == 2
                    && KeepsQuantized(type) && shape[1] % GgmlQuant.BlockSize(type) == 0)
                {
                    embedding = new GgmlQuantMatrix(type, shape[0], shape[1], raw);
                    // Placeholder (V, 0): Build only needs the row count; lookups go through Embedding.GgmlWeight.
                    var ph = Tensor.Zeros(DType.F32, shape[0], 0);
                    owned.Add(ph);
                    tensors[expected] = ph;
                    continue;
                }
                var values = new float[n];
                GgmlQuant.Dequantize(type, raw, values);
                if (GgufNames.NormsStoredPlusOne(arch) && info.Name.EndsWith("norm.weight", StringComparison.Ordinal))
                    for (int i = 0; i < values.Length; i++) values[i] -= 1f;
                if (GgufNames.PermutesQk(arch) && GgufNames.IsPermutedQk(info.Name, out bool isKey))
                {
                    var hfLayout = new float[n];
                    GgufQkPermutation.Unpermute<float>(values, hfLayout, isKey ? config.NumKeyValueHeads : config.NumAttentionHeads, shape.Length == 2 ? shape[1] : 1);
                    values = hfLayout;
                }
                var t = shape.Length == 2 && options.DType == ModelDType.BFloat16
                    ? Tensor.FromArrayBf16(values, shape)
                    : Tensor.FromArray(values, shape);
                if (shape.Length == 2 && options.DType == ModelDType.Float16)
                {
                    using var f32 = t;
                    t = f32.To(DType.F16);
                }
                owned.Add(t);
                tensors[expected] = t;
            }
            var model = CausalLM.Build(config, tensors, owned, path);
            foreach (var (name, q) in kept)
                model.GetLinear(name[..^".weight".Length]).GgmlWeight = q;
            if (embedding != null)
            {
                model.EmbedTokens.GgmlWeight = embedding;
                if (model.TiedEmbeddings) model.LmHead.GgmlWeight = embedding;
            }
            return model;
        }
        catch
        {
            foreach (var o in owned) o.Dispose();
            throw;
        }
    }

    private static bool KeepsQuantized(GgmlType t) => t is GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K;

    /// <summary>Undoes llama.cpp's Q/K row permutation on a (rows, ·) matrix stored as equal-length rows of block bytes.</summary>
    private static byte[] UnpermuteRows(byte[] raw, int rows, int nHead)
    {
        // The permutation maps rows only, so apply it to the row indices and move whole byte rows.
        var idx = new float[rows];
        for (int i = 0; i < rows; i++) idx[i] = i;
        var hfIdx = new float[rows];
        GgufQkPermutation.Unpermute<float>(idx, hfIdx, nHead, 1);
        int rowBytes = raw.Length / rows;
        var dst = new byte[raw.Length];
        for (int r = 0; r < rows; r++)
            Buffer.BlockCopy(raw, (int)hfIdx[r] * rowBytes, dst, r * rowBytes, rowBytes);
        return dst;
    }

    /// <summary>An HF-style config.json from the GGUF's &lt;arch&gt;.* metadata (llama.cpp llama-arch.cpp keys), parsed by <see cref="ModelConfig"/>.</summary>
    internal static ModelConfig ConfigFromMetadata(GgufFile f, IReadOnlyDictionary<string, GgufTensorInfo> tensors, string path, string arch = "llama")
    {
        long Need(string key) => f.GetInt(key) ?? throw new ModelLoadException($"{path}: GGUF metadata lacks {key}");
        double? Dbl(string key) => f.TryGet(key, out var v) ? v.AsDouble() : null;
        if (f.GetString($"{arch}.rope.scaling.type") is { } st && st != "none")
            throw new ModelLoadException($"{path}: GGUF {arch}.rope.scaling.type \"{st}\" is not supported");
        if (tensors.ContainsKey("rope_freqs.weight"))
            throw new ModelLoadException($"{path}: GGUF tensor rope_freqs.weight (llama3 RoPE scaling) is not supported");
        try { ModelConfigLimits.ValidateGguf(path, arch, f.GetInt); } catch (ConfigException ex) { throw new ModelLoadException(ex.Message, ex); }
        int heads = (int)Need($"{arch}.attention.head_count");
        int hidden = (int)Need($"{arch}.embedding_length");
        int vocab = f.GetArray<string>("tokenizer.ggml.tokens")?.Length
            ?? (tensors.TryGetValue("token_embd.weight", out var te) ? (int)te.Dims[1] : throw new ModelLoadException($"{path}: cannot tell the vocabulary size"));
        int headDim = (int)(f.GetInt($"{arch}.attention.key_length") ?? f.GetInt($"{arch}.rope.dimension_count") ?? hidden / heads);
        var json = new JsonObject
        {
            ["model_type"] = arch,
            ["hidden_size"] = hidden,
            ["intermediate_size"] = (int)Need($"{arch}.feed_forward_length"),
            ["num_hidden_layers"] = (int)Need($"{arch}.block_count"),
            ["num_attention_heads"] = heads,
            ["num_key_value_heads"] = (int)(f.GetInt($"{arch}.attention.head_count_kv") ?? heads),
            ["head_dim"] = headDim,
            ["vocab_size"] = vocab,
            ["rms_norm_eps"] = Dbl($"{arch}.attention.layer_norm_rms_epsilon") ?? 1e-5,
            ["rope_theta"] = Dbl($"{arch}.rope.freq_base") ?? 10000.0,
            ["max_position_embeddings"] = (int)(f.GetInt($"{arch}.context_length") ?? 2048),
            ["tie_word_embeddings"] = !tensors.ContainsKey("output.weight"),
            ["bos_token_id"] = f.GetInt("tokenizer.ggml.bos_token_id") is { } b ? JsonValue.Create((int)b) : null,
            ["eos_token_id"] = f.GetInt("tokenizer.ggml.eos_token_id") is { } e ? JsonValue.Create((int)e) : null,
        };
        if (arch == "llama") json["attention_bias"] = tensors.ContainsKey("blk.0.attn_q.bias");
        if (arch == "gemma2")
        {
            // llama.cpp's gemma2 graph scales queries by 1/√head_dim (it does not read query_pre_attn_scalar).
            json["query_pre_attn_scalar"] = headDim;
            json["attn_logit_softcapping"] = Dbl("gemma2.attn_logit_softcapping") is { } a ? JsonValue.Create(a) : null;
            json["final_logit_softcapping"] = Dbl("gemma2.final_logit_softcapping") is { } c ? JsonValue.Create(c) : null;
            json["sliding_window"] = f.GetInt("gemma2.attention.sliding_window") is { } w ? JsonValue.Create((int)w) : null;
        }
        try { return ModelConfig.FromJson(json.ToJsonString(), path + " (GGUF metadata)"); }
        catch (ConfigException ex) { throw new ModelLoadException(ex.Message, ex); }
    }
}
