// One generation request for the scheduler: prompt ids, decoding options, adapter, JSON constraint and logprobs.
using TuneSharp.Inference.Constrained;

namespace TuneSharp.Inference.Scheduling;

public sealed record SequenceRequest(IReadOnlyList<int> PromptIds, GenerationOptions Options)
{
    /// <summary>Masks tokens that cannot continue valid JSON (response_format); null = free text.</summary>
    public JsonConstraint? Constraint { get; init; }

    /// <summary>Null: no logprobs; n ≥ 0: the chosen token's logprob plus the n most likely alternatives.</summary>
    public int? TopLogprobs { get; init; }

    /// <summary>vLLM's ignore_eos: keep generating past EOS (only <see cref="GenerationOptions.StopTokenIds"/> and stop strings end it).</summary>
    public bool IgnoreEos { get; init; }

    /// <summary>Cancels the sequence (client gone, timeout); its KV row is freed at the next step.</summary>
    public CancellationToken CancellationToken { get; init; }
}
