// The CLI contract of `tunesharp embed` and `tunesharp eval` (flags, --json shapes, --config, --compare, error messages and exit codes).
using System.Text.Json.Nodes;
using TuneSharp.Evaluation.Tests.Reports;

namespace TuneSharp.Evaluation.Tests.Cli;

[CollectionDefinition("Console", DisableParallelization = true)]
public sealed class ConsoleCollection;

[Collection("Console")]
public sealed class EvalCliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        try { return (TuneSharp.Cli.Program.Main(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    [Fact]
    public void EvalPredictionsJsonIsOneObjectKeyedByMetric()
    {
        using var seed = new SeedEvaluation();
        var (code, output, err) = Run("eval", "--predictions", seed.TunedPath, "--metrics", "exact_match,accuracy,f1,rouge1,rouge2,rougeL,bleu,chrf,chrf++,semscore,judge",
            "--embedding-model", seed.EncoderDir, "--judge-endpoint", seed.Judge.Endpoint.ToString(), "--judge-model", "fake", "--judge-api-key-env", "TS_NOT_SET", "--json");
        Assert.True(code == 0, err);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        var o = JsonNode.Parse(lines[0])!.AsObject();
        foreach (var k in new[] { "exact_match", "accuracy", "f1", "rouge1", "rouge2", "rougeL", "bleu", "chrf", "chrf++", "semscore", "judge_mean" })
            Assert.True(o.ContainsKey(k), k);
        Assert.Equal(0.75, o["accuracy"]!.GetValue<double>());
        Assert.Equal(5.0, o["judge_mean"]!.GetValue<double>());
    }

    [Fact]
    public void EvalConfigWritesReportAndCompareDiffsTwoReports()
    {
        using var seed = new SeedEvaluation();
        var yaml = seed.WriteYaml();
        var (code, output, err) = Run("eval", "--config", yaml, "--json");
        Assert.True(code == 0, err);
        var o = JsonNode.Parse(output)!.AsObject();
        Assert.True(o["tuned"]!["accuracy"]!.GetValue<double>() > o["base"]!["accuracy"]!.GetValue<double>());
        var report = Path.Combine(seed.Root, "report", "report.json");
        Assert.True(File.Exists(report));
        // Two single-model reports: base alone and tuned alone.
        Assert.Equal(0, Run("eval", "-p", seed.BasePath, "-m", "accuracy,rougeL", "--name", "m", "--out", Path.Combine(seed.Root, "a")).Code);
        Assert.Equal(0, Run("eval", "-p", seed.TunedPath, "-m", "accuracy,rougeL", "--name", "m", "--out", Path.Combine(seed.Root, "b")).Code);
        (code, output, err) = Run("eval", "--compare", Path.Combine(seed.Root, "a", "report.json"), Path.Combine(seed.Root, "b", "report.json"));
        Assert.True(code == 0, err);
        Assert.Contains("+0.7500", output);
    }

    [Fact]
    public void EmbedPrintsOneLinePerNonEmptyInputLine()
    {
        using var seed = new SeedEvaluation();
        var input = Path.Combine(seed.Root, "texts.txt");
        File.WriteAllText(input, "hello world\n\n선하증권\n   \nfree on board\n");
        var (code, output, err) = Run("embed", "--model", seed.EncoderDir, "--input", input, "--json");
        Assert.True(code == 0, err);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        for (int i = 0; i < 3; i++)
        {
            var o = JsonNode.Parse(lines[i])!;
            Assert.Equal(i, o["index"]!.GetValue<int>());
            Assert.Equal(384, o["embedding"]!.AsArray().Count);
        }
    }

    [Fact]
    public void BadInputGivesClearMessagesAndExitCodes()
    {
        using var seed = new SeedEvaluation();
        var broken = seed.ConfigOnlyEncoderCopy();
        File.Delete(Path.Combine(broken, "1_Pooling", "config.json"));
        var (code, _, err) = Run("embed", "--model", broken, "--input", seed.BasePath);
        Assert.Equal((int)ExitCode.InputFormat, code);
        Assert.Contains("1_Pooling", err);

        var noRef = Path.Combine(seed.Root, "noref.jsonl");
        File.WriteAllText(noRef, "{\"prediction\": \"a\", \"reference\": \"a\"}\n{\"prediction\": \"b\"}\n");
        (code, _, err) = Run("eval", "-p", noRef, "-m", "rougeL");
        Assert.Equal((int)ExitCode.InputFormat, code);
        Assert.Contains("rows 2", err);

        var port = TuneSharp.Testing.FakeOpenAiEndpoint.FreePort();
        Environment.SetEnvironmentVariable("TS_TEST_SECRET_KEY", "sk-never-print-me");
        (code, var output, err) = Run("eval", "-p", seed.TunedPath, "-m", "judge", "--judge-endpoint", $"http://127.0.0.1:{port}/v1", "--judge-model", "x",
            "--judge-api-key-env", "TS_TEST_SECRET_KEY", "--judge-retries", "0");
        Environment.SetEnvironmentVariable("TS_TEST_SECRET_KEY", null);
        Assert.Equal((int)ExitCode.External, code);
        Assert.Contains("could not be reached", err);
        Assert.DoesNotContain("sk-never-print-me", err + output);
    }
}
