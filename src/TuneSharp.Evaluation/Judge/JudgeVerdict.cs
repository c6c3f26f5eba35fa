// The outcome of judging one item: a score (pointwise/MT-Bench) or a winner (pairwise), or why there is none.
namespace TuneSharp.Evaluation.Judge;

/// <param name="Score">Parsed rating; null when unparsable or failed.</param>
/// <param name="Winner">Pairwise: "model_a", "model_b" or "tie" after the position swap; null otherwise.</param>
/// <param name="RawText">The judge's reply (first game's for pairwise); empty when the request failed.</param>
/// <param name="Unparsable">The reply came but held no verdict in the expected format (counted, not fatal).</param>
/// <param name="Error">Why no reply came (after retries): HTTP status, timeout or connection error.</param>
public sealed record JudgeVerdict(double? Score, string? Winner, string RawText, bool Unparsable, string? Error, bool FromCache);
