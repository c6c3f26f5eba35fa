// How to run a pipeline: the tunesharp command line, its version, the executor, forced steps and the registry.
namespace TuneSharp.Pipelines.Running;

public sealed class PipelineRunOptions
{
    /// <summary>How to start `tunesharp` (e.g. ["/usr/bin/dotnet", "/…/tunesharp.dll"]); built-in step kinds run its verbs.</summary>
    public required IReadOnlyList<string> Tool { get; init; }

    /// <summary>Part of every cache key: a new tool version reruns everything.</summary>
    public required string ToolVersion { get; init; }

    /// <summary>The verbs of <see cref="Tool"/>, to refuse steps whose module this build lacks (null: do not check).</summary>
    public IReadOnlySet<string>? Verbs { get; init; }

    public IStepExecutor Executor { get; init; } = new LocalExecutor();

    /// <summary>Steps rerun even when their cache key matches.</summary>
    public IReadOnlySet<string> Force { get; init; } = new HashSet<string>();

    public Registry.RunRegistry? Registry { get; init; }

    /// <summary>Progress lines for a person ("train: running", …).</summary>
    public Action<string> Log { get; init; } = _ => { };
}
