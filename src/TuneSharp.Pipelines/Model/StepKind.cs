// What a step kind accepts and how it becomes a command line: the `tunesharp` verb it calls, its settings and path inputs.
namespace TuneSharp.Pipelines.Model;

/// <summary>
/// A built-in step kind. Every kind runs as its own process (a `tunesharp` verb, or bash for <c>shell</c>), so the
/// local and Slurm executors treat all steps alike and a crashed step cannot take the runner with it.
/// </summary>
public sealed class StepKind
{
    public required string Name { get; init; }

    public required string Description { get; init; }

    /// <summary>The `tunesharp` verb the step calls (checked before anything runs), or null for <c>shell</c>.</summary>
    public string? Verb { get; init; }

    public IReadOnlyList<string> Required { get; init; } = [];

    public IReadOnlyList<string> Optional { get; init; } = [];

    /// <summary>Settings that name input files or folders (must exist before the run unless produced by a step).</summary>
    public IReadOnlyList<string> PathSettings { get; init; } = [];

    /// <summary>Builds the argument list after the tool; <c>${out}</c> stands for the step's output folder.</summary>
    public required Func<StepDefinition, Func<string, string>, IReadOnlyList<string>> Build { get; init; }

    public IEnumerable<string> AllSettings => Required.Concat(Optional);
}
