// How a scheduled sequence ended: ids, text, finish reason (null when cancelled) and timings.
namespace TuneSharp.Inference.Scheduling;

/// <summary>
/// <see cref="FinishReason"/> is null when the sequence was cancelled (client gone or timeout); <see cref="Text"/> is
/// cut before any stop string, as <see cref="GenerationResult.Text"/>.
/// </summary>
public sealed record SequenceResult(int[] PromptIds, int[] GeneratedIds, string Text, FinishReason? FinishReason, TimeSpan TimeToFirstToken, TimeSpan Duration)
{
    public bool Cancelled => FinishReason is null;
}
