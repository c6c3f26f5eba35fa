// One turn of a playground conversation.
namespace TuneSharp.Dashboard.Chat;

public sealed record ChatMessage(string Role, string Content);
