// Counts server/network failures of the extraction endpoint: too many in a row, or every chunk, stops the run.
namespace TuneSharp.Data.Converters;

/// <summary>
/// A single failed chunk is skipped (a rerun retries it); <see cref="Limit"/> failures in a row mean the endpoint is
/// down, so the run stops instead of sending the remaining chunks into the void; a run where every chunk failed is an
/// error naming the last cause, never "nothing found in the input".
/// </summary>
public sealed class LlmFailureCounter(int limit)
{
    public int Limit { get; } = Math.Max(1, limit);

    public int Consecutive { get; private set; }

    public int Total { get; private set; }

    public int Successes { get; private set; }

    public LlmEndpointException? Last { get; private set; }

    public void Succeeded()
    {
        Consecutive = 0;
        Successes++;
    }

    /// <summary>Records a failure; throws when it is the <see cref="Limit"/>-th in a row.</summary>
    public void Failed(LlmEndpointException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Last = e;
        Total++;
        if (++Consecutive >= Limit)
            throw new LlmEndpointException(e.Kind, $"{Consecutive} requests in a row failed, so the run stops; the last: {e.Message}", e);
    }

    /// <summary>After a run of <paramref name="attempted"/> chunks: when every one failed, the cause is the error.</summary>
    public void ThrowIfAllFailed(int attempted)
    {
        if (attempted > 0 && Successes == 0 && Last is { } e)
            throw new LlmEndpointException(e.Kind, $"every request failed ({Total} of {attempted}); the last: {e.Message}", e);
    }
}
