// tokenizer_config.json (transformers): special token names, add_bos/eos flags, cleanup and the chat template.
using System.Text.Json;
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers;

public sealed class TokenizerConfig
{
    public string? BosToken { get; init; }
    public string? EosToken { get; init; }
    public string? PadToken { get; init; }
    public string? UnkToken { get; init; }
    public bool? AddBosToken { get; init; }
    public bool? AddEosToken { get; init; }
    /// <summary>transformers' default is true when the key is absent.</summary>
    public bool CleanUpTokenizationSpaces { get; init; } = true;
    public string? TokenizerClass { get; init; }
    public bool? Legacy { get; init; }
    public PaddingSide? PaddingSide { get; init; }
    public long? ModelMaxLength { get; init; }
    public IReadOnlyList<string> AdditionalSpecialTokens { get; init; } = [];
    /// <summary>The default chat template (a string, or the entry named "default" of a list).</summary>
    public string? ChatTemplate { get; init; }
    /// <summary>All named chat templates (a plain string is stored as "default").</summary>
    public IReadOnlyDictionary<string, string> ChatTemplates { get; init; } = new Dictionary<string, string>();

    public static TokenizerConfig FromFile(string path)
    {
        using var doc = ParseFile(path);
        return FromJson(new JsonNode(doc.RootElement, "$", path));
    }

    internal static JsonDocument ParseFile(string path)
    {
        try
        {
            if (TuneSharp.Text.Utf8Check.FindInvalid(path) is { } bad) throw new TokenizerFormatException(TuneSharp.Text.Utf8Check.Describe(bad), path);
            using var fs = File.OpenRead(path);
            return JsonDocument.Parse(fs, new JsonDocumentOptions { AllowTrailingCommas = true, MaxDepth = 256 });
        }
        catch (JsonException e) { throw new TokenizerFormatException($"invalid JSON: {e.Message}", path, "$", e); }
        catch (IOException e) { throw new TokenizerFormatException($"cannot read: {e.Message}", path, null, e); }
    }

    internal static TokenizerConfig FromJson(JsonNode n)
    {
        var templates = new Dictionary<string, string>(StringComparer.Ordinal);
        if (n.Get("chat_template") is { } ct)
        {
            if (ct.Kind == JsonValueKind.String) templates["default"] = ct.AsString();
            else foreach (var t in ct.Items()) templates[t.Require("name").AsString()] = t.Require("template").AsString();
        }
        return new TokenizerConfig
        {
            BosToken = TokenString(n, "bos_token"),
            EosToken = TokenString(n, "eos_token"),
            PadToken = TokenString(n, "pad_token"),
            UnkToken = TokenString(n, "unk_token"),
            AddBosToken = n.Get("add_bos_token")?.AsBool(),
            AddEosToken = n.Get("add_eos_token")?.AsBool(),
            CleanUpTokenizationSpaces = n.OptBool("clean_up_tokenization_spaces", true),
            TokenizerClass = n.OptString("tokenizer_class"),
            Legacy = n.Get("legacy")?.AsBool(),
            PaddingSide = n.OptString("padding_side") switch { "left" => Tokenizers.PaddingSide.Left, "right" => Tokenizers.PaddingSide.Right, _ => null },
            ModelMaxLength = n.Get("model_max_length") is { Kind: JsonValueKind.Number } m ? (m.Element.TryGetInt64(out var l) ? l : long.MaxValue) : null,
            AdditionalSpecialTokens = n.Get("additional_special_tokens") is { } a ? a.Items().Select(TokenContent).ToArray() : [],
            ChatTemplate = templates.GetValueOrDefault("default"),
            ChatTemplates = templates,
        };
    }

    private static string? TokenString(JsonNode n, string key) => n.Get(key) is { } v ? TokenContent(v) : null;

    /// <summary>A special token is a plain string or an AddedToken object {"content": ...}.</summary>
    private static string TokenContent(JsonNode v) => v.Kind switch
    {
        JsonValueKind.String => v.AsString(),
        JsonValueKind.Object => v.Require("content").AsString(),
        _ => throw v.Error("expected a token string or {\"content\": ...}"),
    };
}
