// Sanity ranges for config.json / GGUF header sizes, checked before anything is allocated (issue 14: num_hidden_layers 1000000 allocated past 4 GB).
using System.Globalization;

namespace TuneSharp.Models.Config;

/// <summary>
/// Every structural size of a model config must lie in a range that real models span with a wide margin (the largest
/// open decoders have ~126 layers, hidden 16384, vocabularies of 262K), and the parameter count they imply must be
/// below <see cref="MaxParameters"/>. A value outside names the key, the value and the allowed range.
/// </summary>
public static class ModelConfigLimits
{
    /// <summary>Inclusive ranges by config.json key.</summary>
    public static readonly IReadOnlyDictionary<string, (long Min, long Max)> Ranges = new Dictionary<string, (long, long)>
    {
        ["num_hidden_layers"] = (1, 1024),
        ["hidden_size"] = (1, 65_536),
        ["intermediate_size"] = (1, 524_288),
        ["num_attention_heads"] = (1, 1024),
        ["num_key_value_heads"] = (1, 1024),
        ["head_dim"] = (2, 4096),
        ["vocab_size"] = (1, 4_194_304),
        ["max_position_embeddings"] = (1, 1L << 26),
        ["sliding_window"] = (1, 1L << 26),
    };

    /// <summary>GGUF metadata keys after the "/// <summary>GGUF metadata keys (llama architecture) and the config.json key each becomes.</summary>lt;arch/// <summary>GGUF metadata keys (llama architecture) and the config.json key each becomes.</summary>gt;." prefix and the config.json key each becomes.</summary>
    public static readonly IReadOnlyDictionary<string, string> GgufKeys = new Dictionary<string, string>
    {
        ["block_count"] = "num_hidden_layers",
        ["embedding_length"] = "hidden_size",
        ["feed_forward_length"] = "intermediate_size",
        ["attention.head_count"] = "num_attention_heads",
        ["attention.head_count_kv"] = "num_key_value_heads",
        ["attention.key_length"] = "head_dim",
        ["rope.dimension_count"] = "head_dim",
        ["context_length"] = "max_position_embeddings",
    };

    /// <summary>Largest parameter count a config may imply (10¹²: beyond any model this CPU engine could hold).</summary>
    public const double MaxParameters = 1e12;

    /// <summary>Throws <see cref="ConfigException"/> naming the key, value and range when a size is out of range; returns the config.</summary>
    public static ModelConfig Validate(ModelConfig c, string? source = null)
    {
        source ??= c.Source;
        Check(source, "num_hidden_layers", c.NumHiddenLayers);
        Check(source, "hidden_size", c.HiddenSize);
        Check(source, "intermediate_size", c.IntermediateSize);
        Check(source, "num_attention_heads", c.NumAttentionHeads);
        Check(source, "num_key_value_heads", c.NumKeyValueHeads);
        Check(source, "head_dim", c.HeadDim);
        Check(source, "vocab_size", c.VocabSize);
        Check(source, "max_position_embeddings", c.MaxPositionEmbeddings);
        if (c.SlidingWindow is int w) Check(source, "sliding_window", w);
        if (c.NumKeyValueHeads > c.NumAttentionHeads)
            throw new ConfigException($"{source}: num_key_value_heads = {c.NumKeyValueHeads} exceeds num_attention_heads = {c.NumAttentionHeads}; it must divide it");
        double parameters = EstimatedParameters(c);
        if (parameters > MaxParameters)
            throw new ConfigException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: the sizes imply about {parameters:0.###e+0} parameters (hidden_size {c.HiddenSize}, intermediate_size {c.IntermediateSize}, num_hidden_layers {c.NumHiddenLayers}, vocab_size {c.VocabSize}), above the {MaxParameters:0e+0} this engine accepts; check those keys"));
        return c;
    }

    /// <summary>Checks GGUF header integers before they are cast and turned into a config (a 64-bit block_count must not wrap into a valid int).</summary>
    public static void ValidateGguf(string path, string arch, Func<string, long?> getInt)
    {
        foreach (var (suffix, jsonKey) in GgufKeys)
        {
            string ggufKey = arch + "." + suffix;
            if (getInt(ggufKey) is not long v) continue;
            var (min, max) = Ranges[jsonKey];
            if (v < min || v > max)
                throw new ConfigException(string.Create(CultureInfo.InvariantCulture,
                    $"{path}: GGUF header {ggufKey} = {v} is outside the supported range {min}..{max} ({jsonKey}); the file is damaged or not a model this engine can load"));
        }
    }

    /// <summary>Embeddings, lm_head (unless tied), attention and MLP weights: the order of magnitude that will be allocated.</summary>
    public static double EstimatedParameters(ModelConfig c)
    {
        double h = c.HiddenSize, attn = (double)c.NumAttentionHeads * c.HeadDim, kv = (double)c.NumKeyValueHeads * c.HeadDim;
        double perLayer = h * attn * 2 + h * kv * 2 + 3 * h * c.IntermediateSize + 2 * h;
        return (double)c.VocabSize * h * (c.TieWordEmbeddings ? 1 : 2) + c.NumHiddenLayers * perLayer;
    }

    /// <summary>Range-checks one field as it is read when <see cref="Ranges"/> lists it (other fields pass).</summary>
    public static void CheckField(string source, string key, long value)
    {
        if (Ranges.ContainsKey(key)) Check(source, key, value);
    }

    private static void Check(string source, string key, long value)
    {
        var (min, max) = Ranges[key];
        if (value < min || value > max)
            throw new ConfigException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: {key} = {value} is outside the supported range {min}..{max}; fix \"{key}\" in the config"));
    }
}
