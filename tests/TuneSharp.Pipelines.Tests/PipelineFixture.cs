// Test helpers: a temporary pipeline folder, the `tunesharp` CLI built next to the tests, and a runner over them.
using TuneSharp.Pipelines.Model;
using TuneSharp.Pipelines.Registry;
using TuneSharp.Pipelines.Running;

namespace TuneSharp.Pipelines.Tests;

internal sealed class PipelineFixture : IDisposable
{
    public PipelineFixture()
    {
        Dir = Path.Combine(Path.GetTempPath(), "ts-pipe-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Dir);
    }

    public string Dir { get; }

    public string File(string name) => Path.Combine(Dir, name);

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "tunesharp.dll");

    public static IReadOnlyList<string> Tool => [Environment.ProcessPath!.EndsWith("dotnet", StringComparison.Ordinal) ? Environment.ProcessPath! : "dotnet", Dll];

    public string Write(string yaml, string name = "pipeline.yaml")
    {
        var path = File(name);
        System.IO.File.WriteAllText(path, yaml);
        return path;
    }

    public PipelineRunner Runner(string yaml, RunRegistry? registry = null, params string[] force)
    {
        var p = PipelineParser.Parse(yaml, Write(yaml));
        return new PipelineRunner(p, new PipelineRunOptions { Tool = Tool, ToolVersion = "test", Registry = registry, Force = force.ToHashSet() });
    }

    public Dictionary<string, StepStatus> Run(string yaml, RunRegistry? registry = null, params string[] force)
    {
        var r = Runner(yaml, registry, force);
        r.RunAsync().GetAwaiter().GetResult();
        return r.Steps.ToDictionary(kv => kv.Key, kv => kv.Value.Status);
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
