// One generated token as streamed by the scheduler: id, the text it released, and optional logprobs.
namespace TuneSharp.Inference.Scheduling;

/// <summary>A token and its natural-log probability under the processed distribution.</summary>
public readonly record struct TokenLogprob(int Id, float Logprob);

/// <summary>
/// <see cref="Text"/> is the text this step released to the client (possibly empty: UTF-8 or stop-string hold-back);
/// <see cref="Logprob"/>/<see cref="Top"/> are set when the request asked for logprobs (log-softmax of the logits after
/// penalties and the JSON mask, before temperature and truncation, as vLLM's default).
/// </summary>
public sealed record SequenceToken(int Id, string Text, float? Logprob = null, TokenLogprob[]? Top = null);
