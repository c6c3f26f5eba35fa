// The text each token adds when decoded after other tokens, and a trie over those texts for vocabulary-wide masks.
using System.Runtime.CompilerServices;
using TuneSharp.Tokenizers;

namespace TuneSharp.Inference.Constrained;

/// <summary>
/// Token texts are measured in context — decode(anchor + id) minus decode(anchor) — because SentencePiece-style
/// decoders strip a leading space from the first token only. Special tokens, tokens that decode to nothing and
/// tokens that are part of a UTF-8 sequence (U+FFFD alone) get null: constrained decoding never picks them.
/// </summary>
internal sealed class TokenTexts
{
    private static readonly ConditionalWeakTable<Tokenizer, TokenTexts> Cache = new();

    private TokenTexts(Tokenizer tok)
    {
        Texts = new string?[tok.VocabSize];
        var enc = tok.Encode("a", addSpecialTokens: false);
        int anchor = enc.Length > 0 ? enc[^1] : -1;
        string prefix = anchor >= 0 ? tok.Decode([anchor]) : "";
        for (int id = 0; id < Texts.Length; id++)
        {
            if (tok.IsSpecial(id)) continue;
            string text;
            try
            {
                if (anchor >= 0)
                {
                    var both = tok.Decode([anchor, id]);
                    if (!both.StartsWith(prefix, StringComparison.Ordinal)) continue;
                    text = both[prefix.Length..];
                }
                else text = tok.Decode([id]);
            }
            catch (ArgumentException) { continue; }
            if (text.Length == 0 || text.Contains('\uFFFD')) continue;
            Texts[id] = text;
            // Free text (string content, any-object keys) takes a token whole unless it holds a quote, a backslash or a control character.
            (text.Any(ch => ch is '"' or '\\' || ch < ' ') ? Structural : Plain).Add(id);
            var node = Root;
            foreach (var c in text) node = node.Child(c);
            (node.Ids ??= []).Add(id);
        }
    }

    public static TokenTexts For(Tokenizer tokenizer) => Cache.GetValue(tokenizer, t => new TokenTexts(t));

    public string?[] Texts { get; }

    /// <summary>Tokens with no quote, backslash or control character: always valid inside a string (length permitting).</summary>
    public List<int> Plain { get; } = [];

    /// <summary>Every other token with a text.</summary>
    public List<int> Structural { get; } = [];

    public TrieNode Root { get; } = new();

    internal sealed class TrieNode
    {
        public Dictionary<char, TrieNode>? Children { get; private set; }

        public List<int>? Ids { get; set; }

        public TrieNode Child(char c)
        {
            Children ??= [];
            if (!Children.TryGetValue(c, out var n)) Children[c] = n = new TrieNode();
            return n;
        }
    }
}
