// A parsed pipeline.yaml: name, work folder, budgets, executor and its steps in file order.
namespace TuneSharp.Pipelines.Model;

public sealed class PipelineDefinition
{
    public required string Name { get; init; }

    /// <summary>Absolute path of the pipeline file.</summary>
    public required string SourcePath { get; init; }

    /// <summary>Folder of the pipeline file; relative paths in steps resolve against it.</summary>
    public string BaseDir => Path.GetDirectoryName(SourcePath)!;

    /// <summary>Absolute work folder: step outputs, logs, status and the cache.</summary>
    public required string WorkDir { get; init; }

    /// <summary>Threads the local executor may use at once (sum over running steps).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Memory budget in bytes (0 = unlimited).</summary>
    public long MemoryBytes { get; init; }

    public string Executor { get; init; } = "local";

    public Dictionary<string, string> SlurmOptions { get; init; } = new(StringComparer.Ordinal);

    public required IReadOnlyList<StepDefinition> Steps { get; init; }

    public StepDefinition this[string name] => Steps.First(s => s.Name == name);
}
