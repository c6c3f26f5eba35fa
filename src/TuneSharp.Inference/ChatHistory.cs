// Keeps a chat's history inside the model's context: the oldest turns go first, the system prompt and the newest message stay.
namespace TuneSharp.Inference;

/// <summary>
/// A multi-turn chat re-sends the whole history each turn, so it grows until it passes the model's positions.
/// <see cref="Fit"/> drops the oldest messages (a user message together with the assistant reply after it, so the
/// history still starts with a user turn, as chat templates expect) until the rendered prompt fits the budget. System
/// messages and the newest message are never dropped; when those alone do not fit, the prompt is returned as is (and
/// <see cref="Generator.Warning"/> reports it).
/// </summary>
public static class ChatHistory
{
    /// <summary>
    /// The prompt budget for a model with <paramref name="maxPositions"/> positions: what is left after room for the
    /// reply (max_new_tokens, but at most half the context, so a large max_new_tokens cannot starve the history).
    /// </summary>
    public static int Budget(int maxPositions, int maxNewTokens) =>
        Math.Max(1, maxPositions - Math.Clamp(maxNewTokens, 0, maxPositions / 2));

    /// <summary>
    /// Removes the oldest messages of <paramref name="history"/> (role/content dictionaries) until
    /// <paramref name="encode"/>(history) is at most <paramref name="budget"/> tokens; returns the final ids and how
    /// many messages were removed.
    /// </summary>
    public static (int[] Ids, int Dropped) Fit(IList<object?> history, Func<IReadOnlyList<object?>, int[]> encode, int budget)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(encode);
        int dropped = 0;
        var ids = encode(history.ToList());
        while (ids.Length > budget)
        {
            int oldest = FirstDroppable(history, 0);
            if (oldest < 0) break;
            history.RemoveAt(oldest);
            dropped++;
            // The assistant reply to the dropped user message goes with it.
            if (oldest < history.Count - 1 && Role(history[oldest]) == "assistant")
            {
                history.RemoveAt(oldest);
                dropped++;
            }
            ids = encode(history.ToList());
        }
        return (ids, dropped);
    }

    // The first message that is neither a system message nor the newest one; −1 when none is left.
    private static int FirstDroppable(IList<object?> history, int from)
    {
        for (int i = from; i < history.Count - 1; i++)
            if (Role(history[i]) != "system") return i;
        return -1;
    }

    private static string? Role(object? message) => message switch
    {
        IReadOnlyDictionary<string, object?> d => d.TryGetValue("role", out var r) ? r as string : null,
        IDictionary<string, object?> d => d.TryGetValue("role", out var r) ? r as string : null,
        _ => null,
    };
}
