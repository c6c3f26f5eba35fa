// Incremental detokenization: feed ids one at a time, get back only complete, valid UTF-8 text (as TGI's decode_token).
using System.Text;

namespace TuneSharp.Tokenizers.Streaming;

/// <summary>
/// Decodes a sliding window twice — up to the last emitted token and up to the newest — and emits the difference
/// once it no longer ends in U+FFFD (an unfinished UTF-8 sequence split across byte tokens, e.g. "&lt;0xEA&gt;&lt;0xB0&gt;").
/// Decoding a window rather than single tokens keeps Metaspace/Strip prefix handling and word joins right.
/// </summary>
public sealed class StreamingDecoder
{
    private readonly Tokenizer _tokenizer;
    private readonly bool _skipSpecial;
    private readonly List<int> _ids = new();
    private int _prefixOffset;
    private int _readOffset;
    private readonly StringBuilder _all = new();

    internal StreamingDecoder(Tokenizer tokenizer, bool skipSpecialTokens)
    {
        _tokenizer = tokenizer;
        _skipSpecial = skipSpecialTokens;
    }

    /// <summary>All text emitted so far.</summary>
    public string Text => _all.ToString();

    /// <summary>Adds one id; returns the newly completed text (possibly empty).</summary>
    public string Add(int id)
    {
        _ids.Add(id);
        return Step(final: false);
    }

    /// <summary>Emits whatever is left (an unfinished byte sequence becomes U+FFFD) and resets the window.</summary>
    public string Flush()
    {
        var s = _readOffset < _ids.Count ? Step(final: true) : "";
        _ids.Clear();
        _prefixOffset = _readOffset = 0;
        return s;
    }

    private string Step(bool final)
    {
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_ids);
        var prefix = _tokenizer.Decode(span[_prefixOffset.._readOffset], _skipSpecial);
        var full = _tokenizer.Decode(span[_prefixOffset..], _skipSpecial);
        if (!final && (full.Length <= prefix.Length || full.EndsWith('\uFFFD'))) return "";
        var delta = full.Length >= prefix.Length && full.StartsWith(prefix, StringComparison.Ordinal) ? full[prefix.Length..] : full[Math.Min(prefix.Length, full.Length)..];
        _prefixOffset = _readOffset;
        _readOffset = _ids.Count;
        // Keep a short window so decoding stays O(1) per token; drop ids that can no longer matter.
        if (_prefixOffset > 64)
        {
            _ids.RemoveRange(0, _prefixOffset);
            _readOffset -= _prefixOffset;
            _prefixOffset = 0;
        }
        _all.Append(delta);
        return delta;
    }
}
