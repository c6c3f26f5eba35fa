// Base of the tokenizer.json `model` (BPE, WordPiece, Unigram) and the factory reading it.
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.Models;

internal abstract class TokenizerModel
{
    /// <summary>Tokenizes one pre-token; <paramref name="ranges"/> (when given) gets each token's [start, end) in units of <paramref name="word"/>.</summary>
    public abstract void Tokenize(string word, List<int> ids, List<(int Start, int End)>? ranges);

    public abstract int? TokenToId(string token);
    public abstract string? IdToToken(int id);
    public abstract int VocabSize { get; }
    public virtual string? UnkToken => null;

    /// <summary>Every (token, id) of the model's own vocabulary.</summary>
    public abstract IEnumerable<KeyValuePair<string, int>> Vocab { get; }

    public static TokenizerModel FromJson(JsonNode n)
    {
        string type = n.Get("type")?.AsString() ?? (n.Has("merges") ? "BPE" : n.Get("vocab") is { Kind: System.Text.Json.JsonValueKind.Array } ? "Unigram" : "WordPiece");
        return type switch
        {
            "BPE" => BpeModel.FromJson(n),
            "WordPiece" => WordPieceModel.FromJson(n),
            "Unigram" => UnigramModel.FromJson(n),
            _ => throw new TokenizerFormatException($"model type '{type}' is not supported", n.File, n.Path + ".type"),
        };
    }

    internal static (Dictionary<string, int> Vocab, string[] ById) ReadVocab(JsonNode vocab)
    {
        var dict = new Dictionary<string, int>(vocab.Element.EnumerateObject().Count(), StringComparer.Ordinal);
        int max = -1;
        foreach (var p in vocab.Element.EnumerateObject())
        {
            if (p.Value.ValueKind != System.Text.Json.JsonValueKind.Number || !p.Value.TryGetInt32(out int id) || id < 0)
                throw new TokenizerFormatException($"vocab id of '{p.Name}' must be a non-negative integer", vocab.File, $"{vocab.Path}[{System.Text.Json.JsonSerializer.Serialize(p.Name)}]");
            dict[p.Name] = id;
            if (id > max) max = id;
        }
        var byId = new string[max + 1];
        foreach (var (k, v) in dict) byId[v] = k;
        return (dict, byId);
    }
}
