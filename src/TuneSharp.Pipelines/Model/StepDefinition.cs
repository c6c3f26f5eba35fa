// One step of a pipeline as written in pipeline.yaml: kind, needs, resources, retries and its kind's settings.
namespace TuneSharp.Pipelines.Model;

public sealed class StepDefinition
{
    public required string Name { get; init; }

    public required string Kind { get; init; }

    /// <summary>The 1-based line of the step's name in the pipeline file (for error messages).</summary>
    public int Line { get; init; }

    /// <summary>Steps that must finish first (declared plus those referenced as <c>${steps.X.out}</c>).</summary>
    public List<string> Needs { get; init; } = [];

    /// <summary>Line of each declared need, for "unknown step" errors.</summary>
    public Dictionary<string, int> NeedLines { get; init; } = [];

    /// <summary>Kind-specific settings (<c>with:</c>), scalar or list values as strings; line per key.</summary>
    public Dictionary<string, StepSetting> Settings { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Extra files or folders whose contents key the cache (relative to the pipeline file).</summary>
    public List<string> Inputs { get; init; } = [];

    /// <summary>Shell script of a <c>shell</c> step.</summary>
    public string? Run { get; init; }

    public int Threads { get; init; } = 1;

    public long MemoryBytes { get; init; }

    public int Retries { get; init; }

    /// <summary>First retry delay; doubles per attempt.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>0 = no limit.</summary>
    public TimeSpan Timeout { get; init; }

    public Dictionary<string, string> Env { get; init; } = new(StringComparer.Ordinal);

    public string? Setting(string key) => Settings.TryGetValue(key, out var s) ? s.Value : null;
}
