// One sequence's decoding state shared by Generator and BatchScheduler: ids, streaming decoder, text and stop-string hold-back.
using System.Text;

namespace TuneSharp.Inference;

/// <summary>Per-row decoding state: ids, the streaming decoder, text and stop-string hold-back.</summary>
internal sealed class DecodeRow(int[] prompt, Tokenizers.Streaming.StreamingDecoder decoder, LogitsSampler sampler)
{
    private readonly StringBuilder _text = new();
    private int _emitted;

    public int[] Prompt { get; } = prompt;
    public List<int> Generated { get; } = [];
    public HashSet<int> Seen { get; } = [.. prompt];
    public Tokenizers.Streaming.StreamingDecoder Decoder { get; } = decoder;
    public LogitsSampler Sampler { get; } = sampler;
    public FinishReason? Finished { get; private set; }

    /// <summary>Adds decoded text; stops at a stop string; streams what can no longer be part of one.</summary>
    public void Append(string piece, GenerationOptions o, Action<string> emit)
    {
        if (piece.Length == 0) return;
        _text.Append(piece);
        if (o.StopStrings.Count > 0)
        {
            var s = _text.ToString();
            int cut = -1;
            foreach (var stop in o.StopStrings)
            {
                int at = s.IndexOf(stop, Math.Max(0, _emitted - stop.Length), StringComparison.Ordinal);
                if (at >= 0 && (cut < 0 || at < cut)) cut = at;
            }
            if (cut >= 0)
            {
                _text.Length = cut;
                EmitUpTo(cut, emit);
                Finished = FinishReason.StopString;
                return;
            }
            EmitUpTo(_text.Length - HeldBack(s, o.StopStrings), emit);
        }
        else EmitUpTo(_text.Length, emit);
    }

    public void Finish(FinishReason reason, GenerationOptions o, Action<string> emit)
    {
        Finished = reason;
        var rest = Decoder.Flush();
        if (rest.Length > 0)
        {
            Append(rest, o, emit);
            if (Finished == FinishReason.StopString) return;
            Finished = reason;
        }
        EmitUpTo(_text.Length, emit);
    }

    public GenerationResult Result(FinishReason reason) => new(Prompt, Generated.ToArray(), _text.ToString(), reason);

    private void EmitUpTo(int end, Action<string> emit)
    {
        if (end <= _emitted) return;
        emit(_text.ToString(_emitted, end - _emitted));
        _emitted = end;
    }

    /// <summary>Length of the longest suffix of s that is a proper prefix of some stop string.</summary>
    private static int HeldBack(string s, IReadOnlyList<string> stops)
    {
        int best = 0;
        foreach (var stop in stops)
            for (int l = Math.Min(stop.Length - 1, s.Length); l > best; l--)
                if (s.AsSpan(s.Length - l).SequenceEqual(stop.AsSpan(0, l))) { best = l; break; }
        return best;
    }
}
