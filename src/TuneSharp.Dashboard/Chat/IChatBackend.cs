// What the chat playground talks to: today the in-process Generator, later the serving engine (same contract).
namespace TuneSharp.Dashboard.Chat;

public interface IChatBackend
{
    /// <summary>Model (and adapter) this backend answers with, for the page header.</summary>
    string Describe();

    Task<string> ChatAsync(IReadOnlyList<ChatMessage> messages, int maxNewTokens, float temperature, CancellationToken cancellationToken);
}
