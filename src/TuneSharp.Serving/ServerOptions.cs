// Settings of the OpenAI-compatible server: address, keys, limits and the scheduler behind it.
using TuneSharp.Inference.Scheduling;

namespace TuneSharp.Serving;

public sealed record ServerOptions
{
    /// <summary>Address to bind: an IP literal or "localhost". Loopback by default; anything else should come with an API key.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (see <see cref="OpenAiServer.BaseAddress"/>).</summary>
    public int Port { get; init; } = 8000;

    /// <summary>Bearer key every /v1 request must present; null = no authentication.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Bearer key for loading/unloading adapters; null = the API key.</summary>
    public string? AdminKey { get; init; }

    /// <summary>Name the base model is served under (the request's "model"); null = the model folder's name.</summary>
    public string? ModelName { get; init; }

    /// <summary>Largest request body accepted (→ 413).</summary>
    public long MaxBodyBytes { get; init; } = 1 << 20;

    /// <summary>How long a client may take to send headers and body (slow-loris guard; → 408).</summary>
    public TimeSpan BodyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Wall-clock limit of one generation request, queueing included (→ 408 / stream error).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Seconds a 429 answer asks the client to wait (Retry-After).</summary>
    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>Concurrent TCP connections Kestrel accepts.</summary>
    public int MaxConnections { get; init; } = 1024;

    /// <summary>How long shutdown waits for running requests to finish.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public SchedulerOptions Scheduler { get; init; } = new();
}
