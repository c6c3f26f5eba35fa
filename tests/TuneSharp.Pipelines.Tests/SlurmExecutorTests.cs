// The Slurm executor on a real single-node Slurm (tests/slurm/start-local-slurm.sh starts one; CI runs it first).
using System.Diagnostics;
using TuneSharp.Pipelines.Model;
using TuneSharp.Pipelines.Running;
using TuneSharp.Pipelines.Slurm;

namespace TuneSharp.Pipelines.Tests;

public sealed class SlurmExecutorTests
{
    private static bool SlurmUp()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("sinfo", ["-h", "-o", "%T"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var o = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 && (o.Contains("idle") || o.Contains("mixed") || o.Contains("alloc"));
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    [Fact]
    public void TwoStepPipelineRunsAsSbatchJobs()
    {
        if (!SlurmUp())
        {
            if (Environment.GetEnvironmentVariable("TUNESHARP_REQUIRE_SLURM") == "1") Assert.Fail("no Slurm: run tests/slurm/start-local-slurm.sh");
            return; // no local cluster on this machine: .ci/run starts one and sets TUNESHARP_REQUIRE_SLURM=1
        }
        using var f = new PipelineFixture();
        const string yaml = """
            name: slurm2
            executor: slurm
            threads: 2
            slurm: {poll_seconds: 0.3}
            steps:
              first:
                kind: shell
                threads: 1
                memory: 100MB
                run: echo "job $SLURM_JOB_ID cpus $SLURM_CPUS_PER_TASK" > $OUT/first.txt
              second:
                kind: shell
                needs: [first]
                threads: 2
                run: |
                  cat ${steps.first.out}/first.txt > $OUT/second.txt
                  echo "second on $SLURM_JOB_ID" | tee -a $OUT/second.txt
            """;
        var p = PipelineParser.Parse(yaml, f.Write(yaml));
        var runner = new PipelineRunner(p, new PipelineRunOptions { Tool = PipelineFixture.Tool, ToolVersion = "test", Executor = new SlurmExecutor(p.SlurmOptions) });
        Assert.True(runner.RunAsync().GetAwaiter().GetResult(), File.ReadAllText(runner.Steps["first"].LogPath));
        var first = File.ReadAllText(Path.Combine(runner.StepsDir, "first/first.txt"));
        Assert.Matches(@"^job \d+ cpus 1", first);
        var second = File.ReadAllText(Path.Combine(runner.StepsDir, "second/second.txt"));
        Assert.StartsWith(first, second);
        Assert.Matches(@"second on \d+", second);
        // The job's output was collected into the step log.
        var log = File.ReadAllText(runner.Steps["second"].LogPath);
        Assert.Contains("slurm job", log);
        Assert.Matches(@"second on \d+", log);
        Assert.Contains("finished with exit code 0", log);
    }
}
