// One scripted answer of FakeOpenAiEndpoint.
namespace TuneSharp.Testing;

/// <summary>What the fake answers to one request: an HTTP status, the reply text (or error message), a delay before answering.</summary>
public readonly record struct FakeChatReply(int Status, string Content, int DelayMs = 0);
