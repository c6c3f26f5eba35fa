// A submitted sequence: its token stream and its completion.
using System.Threading.Channels;

namespace TuneSharp.Inference.Scheduling;

/// <summary>
/// <see cref="Tokens"/> yields every generated token in order and completes when the sequence ends;
/// <see cref="Completion"/> gives the result (or the engine's exception).
/// </summary>
public sealed class ScheduledSequence
{
    internal ScheduledSequence(ChannelReader<SequenceToken> tokens, Task<SequenceResult> completion)
    {
        Tokens = tokens;
        Completion = completion;
    }

    public ChannelReader<SequenceToken> Tokens { get; }

    public Task<SequenceResult> Completion { get; }
}
