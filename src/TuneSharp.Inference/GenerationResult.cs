// One generated sequence: prompt ids, new ids, decoded text and why it stopped.
namespace TuneSharp.Inference;

/// <summary>
/// <see cref="GeneratedIds"/> includes the stop token or the token that completed a stop string (as HF does);
/// <see cref="Text"/> is the decoded new text without the stop token and cut before any stop string.
/// </summary>
public sealed record GenerationResult(int[] PromptIds, int[] GeneratedIds, string Text, FinishReason FinishReason);
