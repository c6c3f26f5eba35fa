// A chat backend for page tests: answers with the last user message reversed (no model needed).
using TuneSharp.Dashboard.Chat;

namespace TuneSharp.Dashboard.Tests;

internal sealed class EchoChatBackend : IChatBackend
{
    public string Describe() => "echo-test-model";

    public Task<string> ChatAsync(IReadOnlyList<ChatMessage> messages, int maxNewTokens, float temperature, CancellationToken cancellationToken) =>
        Task.FromResult("echo: " + new string(messages.Last(m => m.Role == "user").Content.Reverse().ToArray()));
}
