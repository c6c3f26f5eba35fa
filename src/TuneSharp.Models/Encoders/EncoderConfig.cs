// The config.json fields an HF BertModel / XLMRobertaModel / MPNetModel needs (configuration_bert.py and friends).
using System.Text.Json.Nodes;

namespace TuneSharp.Models.Encoders;

public sealed record EncoderConfig
{
    public required EncoderArchitecture Architecture { get; init; }
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }
    public required int IntermediateSize { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 512;
    public int TypeVocabSize { get; init; } = 2;
    public double LayerNormEps { get; init; } = 1e-12;
    public int PadTokenId { get; init; }
    public string HiddenAct { get; init; } = "gelu";
    public int RelativeAttentionNumBuckets { get; init; } = 32;

    public int HeadDim => HiddenSize / NumAttentionHeads;

    public static EncoderConfig FromFile(string path)
    {
        JsonNode root;
        try { root = JsonNode.Parse(File.ReadAllText(path)) ?? throw new EncoderLoadException($"{path}: empty config"); }
        catch (System.Text.Json.JsonException e) { throw new EncoderLoadException($"{path}: invalid JSON ({e.Message})", e); }
        string type = root["model_type"]?.GetValue<string>() ?? throw new EncoderLoadException($"{path}: no \"model_type\"; expected bert, xlm-roberta, roberta or mpnet");
        var arch = type switch
        {
            "bert" => EncoderArchitecture.Bert,
            "xlm-roberta" or "roberta" or "camembert" => EncoderArchitecture.XlmRoberta,
            "mpnet" => EncoderArchitecture.MPNet,
            _ => throw new EncoderLoadException($"{path}: model_type \"{type}\" is not a supported encoder; supported: bert, xlm-roberta, roberta, mpnet"),
        };
        int Int(string key, int? fallback = null) =>
            root[key]?.GetValue<int>() ?? fallback ?? throw new EncoderLoadException($"{path}: missing \"{key}\"");
        string act = root["hidden_act"]?.GetValue<string>() ?? "gelu";
        if (act != "gelu") throw new EncoderLoadException($"{path}: hidden_act \"{act}\" is not supported (only \"gelu\", the exact erf GELU)");
        string? positions = root["position_embedding_type"]?.GetValue<string>();
        if (positions is not null and not "absolute")
            throw new EncoderLoadException($"{path}: position_embedding_type \"{positions}\" is not supported (only \"absolute\")");
        return new EncoderConfig
        {
            Architecture = arch,
            VocabSize = Int("vocab_size"),
            HiddenSize = Int("hidden_size"),
            NumHiddenLayers = Int("num_hidden_layers"),
            NumAttentionHeads = Int("num_attention_heads"),
            IntermediateSize = Int("intermediate_size"),
            MaxPositionEmbeddings = Int("max_position_embeddings", 512),
            TypeVocabSize = Int("type_vocab_size", arch == EncoderArchitecture.MPNet ? 0 : 2),
            LayerNormEps = root["layer_norm_eps"]?.GetValue<double>() ?? 1e-12,
            PadTokenId = Int("pad_token_id", arch == EncoderArchitecture.Bert ? 0 : 1),
            RelativeAttentionNumBuckets = Int("relative_attention_num_buckets", 32),
        };
    }
}
