// Where a prediction run stands: rows done of total, generated tokens, elapsed time and the estimated time left.
namespace TuneSharp.Evaluation.Prediction;

/// <param name="Done">Rows generated in this run.</param>
/// <param name="Total">Rows this run has to generate (the input minus the rows resumed from the output).</param>
/// <param name="Skipped">Rows already in the output file.</param>
public sealed record PredictProgress(int Done, int Total, int Skipped, long GeneratedTokens, TimeSpan Elapsed)
{
    public double TokensPerSecond => Elapsed.TotalSeconds > 0 ? GeneratedTokens / Elapsed.TotalSeconds : 0;

    /// <summary>Rows left at the rate so far; null before the first row finishes.</summary>
    public TimeSpan? Eta => Done == 0 ? null : TimeSpan.FromSeconds(Elapsed.TotalSeconds / Done * (Total - Done));
}
