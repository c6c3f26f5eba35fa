// The outcome of a prediction run: rows written, resumed and generated, tokens and throughput.
namespace TuneSharp.Evaluation.Prediction;

/// <param name="Rows">Input rows.</param>
/// <param name="Skipped">Rows already in the output (resumed).</param>
/// <param name="Generated">Rows generated now.</param>
/// <param name="Completed">False when cancelled: the rows written so far are kept and a rerun resumes.</param>
public sealed record PredictSummary(int Rows, int Skipped, int Generated, long PromptTokens, long GeneratedTokens, TimeSpan Elapsed, bool Completed)
{
    public double TokensPerSecond => Elapsed.TotalSeconds > 0 ? GeneratedTokens / Elapsed.TotalSeconds : 0;
}
