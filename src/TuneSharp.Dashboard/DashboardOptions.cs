// Where the dashboard listens, which registry it shows and which chat backend the playground uses.
using TuneSharp.Dashboard.Chat;

namespace TuneSharp.Dashboard;

public sealed class DashboardOptions
{
    public required string RegistryPath { get; init; }

    /// <summary>Loopback unless a person asks for more.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port (tests).</summary>
    public int Port { get; init; } = 7860;

    public IChatBackend? Chat { get; init; }

    /// <summary>Seconds between server-sent event polls of the registry.</summary>
    public double PollSeconds { get; init; } = 1;
}
