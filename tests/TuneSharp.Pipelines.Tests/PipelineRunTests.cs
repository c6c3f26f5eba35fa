// Runs pipelines of shell steps: cache hits on a second run, exactly the downstream steps rerun, --force, retries, parallel budgets, atomic outputs.
using TuneSharp.Pipelines.Running;

namespace TuneSharp.Pipelines.Tests;

public sealed class PipelineRunTests
{
    private const string Diamond = """
        name: diamond
        threads: 2
        steps:
          a:
            kind: shell
            run: echo a > $OUT/a.txt
          b:
            kind: shell
            needs: [a]
            run: cat ${steps.a.out}/a.txt > $OUT/b.txt; echo B_SETTING >> $OUT/b.txt
          c:
            kind: shell
            needs: [a]
            run: cat ${steps.a.out}/a.txt > $OUT/c.txt; echo c >> $OUT/c.txt
          d:
            kind: shell
            needs: [b]
            run: cat ${steps.b.out}/b.txt > $OUT/d.txt
        """;

    [Fact]
    public void SecondRunSkipsEverythingAndOneSettingRerunsExactlyDownstream()
    {
        using var f = new PipelineFixture();
        var first = f.Run(Diamond);
        Assert.All(first.Values, s => Assert.Equal(StepStatus.Succeeded, s));
        var second = f.Run(Diamond);
        Assert.All(second.Values, s => Assert.Equal(StepStatus.Cached, s));

        var third = f.Run(Diamond.Replace("B_SETTING", "B_CHANGED"));
        Assert.Equal(StepStatus.Cached, third["a"]);
        Assert.Equal(StepStatus.Succeeded, third["b"]);
        Assert.Equal(StepStatus.Cached, third["c"]);
        Assert.Equal(StepStatus.Succeeded, third["d"]);
        Assert.Equal("a\nB_CHANGED\n", File.ReadAllText(Path.Combine(f.Dir, ".tunesharp/diamond/steps/d/d.txt")));

        // --force reruns one step; its output is identical, so nothing downstream reruns.
        var forced = f.Run(Diamond.Replace("B_SETTING", "B_CHANGED"), null, "c");
        Assert.Equal(StepStatus.Succeeded, forced["c"]);
        Assert.Equal(3, forced.Values.Count(s => s == StepStatus.Cached));
    }

    [Fact]
    public void InputFileContentKeysTheCache()
    {
        using var f = new PipelineFixture();
        File.WriteAllText(f.File("data.jsonl"), "{\"text\": \"x\"}\n");
        const string yaml = "name: inp\nsteps:\n  s:\n    kind: shell\n    inputs: [data.jsonl]\n    run: wc -c < data.jsonl > $OUT/n\n  t:\n    kind: shell\n    run: echo t > $OUT/t\n";
        f.Run(yaml);
        Assert.Equal(StepStatus.Cached, f.Run(yaml)["s"]);
        File.WriteAllText(f.File("data.jsonl"), "{\"text\": \"changed\"}\n");
        var again = f.Run(yaml);
        Assert.Equal(StepStatus.Succeeded, again["s"]);
        Assert.Equal(StepStatus.Cached, again["t"]);
    }

    [Fact]
    public void RetriesWithBackoffThenSucceeds()
    {
        using var f = new PipelineFixture();
        var yaml = $"name: flaky\nsteps:\n  s:\n    kind: shell\n    retries: 2\n    retry_delay: 0.05\n    run: |\n      n=$(cat {f.File("count")} 2>/dev/null || echo 0); echo $((n+1)) > {f.File("count")}\n      echo partial > $OUT/out.txt\n      [ $n -ge 1 ]\n";
        var r = f.Runner(yaml);
        Assert.True(r.RunAsync().GetAwaiter().GetResult());
        Assert.Equal(2, r.Steps["s"].Attempts);
        Assert.Contains("attempt 1 exited with code 1", File.ReadAllText(r.Steps["s"].LogPath));
    }

    [Fact]
    public void FailedStepLeavesNoOutputAndSkipsDependents()
    {
        using var f = new PipelineFixture();
        var r = f.Runner("name: fail\nsteps:\n  bad:\n    kind: shell\n    run: echo half > $OUT/half.txt; exit 3\n  after:\n    kind: shell\n    needs: [bad]\n    run: echo\n  other:\n    kind: shell\n    run: echo ok > $OUT/ok\n");
        Assert.False(r.RunAsync().GetAwaiter().GetResult());
        Assert.Equal(StepStatus.Failed, r.Steps["bad"].Status);
        Assert.Equal(3, r.Steps["bad"].ExitCode);
        Assert.Equal(StepStatus.Skipped, r.Steps["after"].Status);
        Assert.Equal(StepStatus.Succeeded, r.Steps["other"].Status);
        Assert.False(Directory.Exists(Path.Combine(r.StepsDir, "bad")));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(f.Dir, ".tunesharp/fail/tmp")));
    }

    [Theory]
    [InlineData(2, true)]
    [InlineData(1, false)]
    public void IndependentStepsRunInParallelWithinTheThreadBudget(int budget, bool overlap)
    {
        using var f = new PipelineFixture();
        var step = "    kind: shell\n    run: date +%s.%N > $OUT/start; sleep 0.4; date +%s.%N > $OUT/end\n";
        var r = f.Runner($"name: par\nthreads: {budget}\nsteps:\n  x:\n{step}  y:\n{step}");
        Assert.True(r.RunAsync().GetAwaiter().GetResult());
        double T(string s, string file) => double.Parse(File.ReadAllText(Path.Combine(r.StepsDir, s, file)), System.Globalization.CultureInfo.InvariantCulture);
        bool overlapped = T("x", "start") < T("y", "end") && T("y", "start") < T("x", "end");
        Assert.Equal(overlap, overlapped);
    }

    [Fact]
    public void BuiltInKindsRunThroughTheCli()
    {
        using var f = new PipelineFixture();
        File.WriteAllText(f.File("exam.txt"), KillResumeTests.Exam);
        var r = f.Runner("name: kinds\nsteps:\n  conv:\n    kind: convert\n    with: {converter: exam, input: exam.txt, output: qa.jsonl}\n  split:\n    kind: split\n    with: {input: \"${steps.conv.out}/qa.jsonl\", test_size: 1, seed: 3}\n");
        Assert.True(r.RunAsync().GetAwaiter().GetResult(), File.ReadAllText(r.Steps["conv"].LogPath) + File.ReadAllText(r.Steps["split"].LogPath));
        Assert.Equal(3, File.ReadAllLines(Path.Combine(r.StepsDir, "conv/qa.jsonl")).Length);
        Assert.Single(File.ReadAllLines(Path.Combine(r.StepsDir, "split/test.jsonl")));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(r.StepsDir, "split/train.jsonl")).Length);
    }

    [Fact]
    public void ServeCheckStartsTheRealServerAndSavesItsAnswer()
    {
        using var f = new PipelineFixture();
        var model = TuneSharp.Testing.SharedAssets.Require("models/tinystories-656k");
        // TinyStories has no chat template: the check falls back to /v1/completions and says so in its log.
        var r = f.Runner($"name: servecheck\nsteps:\n  check:\n    kind: serve-check\n    with: {{model: \"{model}\", prompt: \"Once upon a time\", max_new_tokens: 6}}\n");
        Assert.True(r.RunAsync().GetAwaiter().GetResult(), File.ReadAllText(r.Steps["check"].LogPath));
        var response = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(r.StepsDir, "check/response.json")))!;
        Assert.Equal("text_completion", response["object"]!.ToString());
        Assert.False(string.IsNullOrEmpty(response["choices"]![0]!["text"]!.ToString()));
        var log = File.ReadAllText(r.Steps["check"].LogPath);
        Assert.Contains("has no chat template", log);
        Assert.DoesNotContain("sk-serve-check-", log);
    }
}
