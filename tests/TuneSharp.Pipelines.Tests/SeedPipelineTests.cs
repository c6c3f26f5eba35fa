// Every seed workflow's pipeline (examples/*/pipeline.yaml, SEED-WORKFLOWS.md) runs to the end from the checkout with
// the tiny model, leaves its artifacts, and a second run skips every step.
using TuneSharp.Pipelines.Model;
using TuneSharp.Pipelines.Running;
using TuneSharp.Testing;

namespace TuneSharp.Pipelines.Tests;

public sealed class SeedPipelineTests
{
    [Theory]
    [InlineData("obfuscated-reviews")]
    [InlineData("alpaca-completion-only")]
    [InlineData("paper-abstracts")]
    [InlineData("toeic-questions")]
    [InlineData("trade-qa")]
    public void RunsToTheEndThenSkipsEverything(string example)
    {
        var path = Path.Combine(SharedAssets.RepoRoot, "examples", example, "pipeline.yaml");
        var parsed = PipelineParser.Parse(File.ReadAllText(path), path);
        using var f = new PipelineFixture();
        // The example's own paths stay as written (relative to examples/NAME); only the work folder is a temporary one.
        var pipeline = new PipelineDefinition
        {
            Name = parsed.Name, SourcePath = parsed.SourcePath, WorkDir = Path.Combine(f.Dir, "work"), Threads = parsed.Threads,
            MemoryBytes = parsed.MemoryBytes, Executor = parsed.Executor, SlurmOptions = parsed.SlurmOptions, Steps = parsed.Steps,
        };
        PipelineRunner Runner() => new(pipeline, new PipelineRunOptions { Tool = PipelineFixture.Tool, ToolVersion = "test" });

        var first = Runner();
        bool ok = first.RunAsync().GetAwaiter().GetResult();
        var failed = first.Steps.Values.FirstOrDefault(s => s.Status != StepStatus.Succeeded);
        Assert.True(ok && failed is null, failed is null ? $"{example} failed" : $"{example}: step {failed.Name} {failed.Status}:\n{Tail(failed.LogPath)}");
        foreach (var s in first.Steps.Values)
            Assert.True(Directory.EnumerateFileSystemEntries(s.OutputDir).Any(), $"{example}: step {s.Name} left no artifacts");

        var second = Runner();
        Assert.True(second.RunAsync().GetAwaiter().GetResult());
        Assert.All(second.Steps.Values, s => Assert.Equal(StepStatus.Cached, s.Status));
    }

    private static string Tail(string log) => File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(25)) : "(no log)";
}
