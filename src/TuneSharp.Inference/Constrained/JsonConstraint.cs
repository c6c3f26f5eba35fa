// Constrained decoding for OpenAI response_format json_object / json_schema: per step, tokens whose text cannot continue
// valid JSON (for the schema) are masked, as in outlines/llguidance-style grammar masking over the vocabulary.
using System.Text.Json;
using TuneSharp.Tokenizers;

namespace TuneSharp.Inference.Constrained;

/// <summary>
/// One sequence's JSON state. <see cref="Mask"/> walks the token trie from the current states (a subtree is skipped as
/// soon as its prefix is rejected) and sets disallowed logits to −∞; <see cref="Advance"/> feeds the chosen token's
/// text. Once the value is complete the scheduler ends the sequence (finish reason "stop"), so no EOS token is needed.
/// </summary>
public sealed class JsonConstraint
{
    private readonly TokenTexts _texts;
    private List<JsonMatcher.State> _states;
    private bool[]? _allowed;

    private JsonConstraint(Tokenizer tokenizer, JsonSchemaNode schema)
    {
        _texts = TokenTexts.For(tokenizer);
        _states = [JsonMatcher.Start(schema)];
    }

    /// <summary>response_format {"type": "json_object"}: any JSON object.</summary>
    public static JsonConstraint JsonObject(Tokenizer tokenizer) => new(tokenizer, JsonSchemaNode.ObjectWithAnyKeys());

    /// <summary>response_format json_schema: the given schema document (throws <see cref="InvalidRequestException"/> when unsupported).</summary>
    public static JsonConstraint FromSchema(Tokenizer tokenizer, JsonElement schema) => new(tokenizer, JsonSchemaNode.Parse(schema));

    /// <summary>True when the text so far is a complete value.</summary>
    public bool IsComplete => JsonMatcher.IsComplete(_states);

    /// <summary>True when no continuation is possible (the vocabulary cannot express what must come next).</summary>
    public bool IsDead => _states.Count == 0;

    /// <summary>Sets logits (V) of tokens that cannot continue the JSON to −∞; returns how many stay allowed.</summary>
    public int Mask(Span<float> logits)
    {
        _allowed ??= new bool[logits.Length];
        if (_allowed.Length != logits.Length) _allowed = new bool[logits.Length];
        Array.Clear(_allowed);
        int count = 0;
        if (_states.Count == 1 && FreeText(_states[0]) is int room)
        {
            // Inside a string most of the vocabulary is valid: plain tokens by length, the few others one by one
            // (a trie walk would visit every node).
            foreach (var id in _texts.Plain)
                if (id < _allowed.Length && _texts.Texts[id]!.Length <= room) { _allowed[id] = true; count++; }
            foreach (var id in _texts.Structural)
                if (id < _allowed.Length && Allows(id)) { _allowed[id] = true; count++; }
        }
        else Walk(_texts.Root, _states, ref count);
        for (int i = 0; i < logits.Length; i++)
            if (!_allowed[i]) logits[i] = float.NegativeInfinity;
        return count;
    }

    /// <summary>Characters a free-text state still takes (string content or a key of an any-key object), or null.</summary>
    private static int? FreeText(JsonMatcher.State s) => s.Stack.Top switch
    {
        JsonMatcher.Str { Esc: 0 } str => str.MaxLen - str.Len,
        JsonMatcher.Obj { Phase: JsonMatcher.ObjPhase.Key } o when o.Schema.AnyObject || o.Schema.Additional != null => int.MaxValue,
        _ => null,
    };

    /// <summary>
    /// Whether the vocabulary can write the first non-blank character of the value at all (a tokenizer without '{',
    /// e.g. a small story model's, cannot produce JSON objects).
    /// </summary>
    public bool CanBegin()
    {
        for (int id = 0; id < _texts.Texts.Length; id++)
            if (_texts.Texts[id] is { } t && t.Trim().Length > 0 && Allows(id)) return true;
        return false;
    }

    private void Walk(TokenTexts.TrieNode node, List<JsonMatcher.State> states, ref int count)
    {
        if (node.Children == null) return;
        // Between values only whitespace and JSON punctuation/value starts can follow: skip other characters without
        // running the matcher (most of a large vocabulary's first characters).
        bool structural = states.TrueForAll(s => s.Stack.Top is JsonMatcher.ValueStart or JsonMatcher.Root or JsonMatcher.Arr
            or JsonMatcher.Obj { Phase: not JsonMatcher.ObjPhase.Key });
        foreach (var (c, child) in node.Children)
        {
            if (structural && !MayStartOrSeparate(c)) continue;
            var next = JsonMatcher.Feed(states, c);
            if (next.Count == 0) continue;
            if (child.Ids != null)
                foreach (var id in child.Ids)
                    if (id < _allowed!.Length) { _allowed[id] = true; count++; }
            Walk(child, next, ref count);
        }
    }

    private static bool MayStartOrSeparate(char c) =>
        c is ' ' or '\n' or '\r' or '\t' or '{' or '}' or '[' or ']' or ',' or ':' or '"' or '-' or (>= '0' and <= '9') or 't' or 'f' or 'n';

    /// <summary>Whether the token's text keeps the JSON valid.</summary>
    public bool Allows(int id)
    {
        if ((uint)id >= (uint)_texts.Texts.Length || _texts.Texts[id] is not { } text) return false;
        var s = _states;
        foreach (var c in text)
        {
            s = JsonMatcher.Feed(s, c);
            if (s.Count == 0) return false;
        }
        return true;
    }

    /// <summary>Feeds the chosen token's text.</summary>
    public void Advance(int id)
    {
        if ((uint)id >= (uint)_texts.Texts.Length || _texts.Texts[id] is not { } text) { _states = []; return; }
        foreach (var c in text) _states = JsonMatcher.Feed(_states, c);
    }
}
