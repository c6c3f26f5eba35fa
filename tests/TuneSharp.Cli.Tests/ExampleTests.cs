// CI runs of every examples/<name>/config.yaml through `tunesharp train` (a few steps), plus the CLI's bad-input paragraphs.
using TuneSharp.Testing;
using TuneSharp.Quickstart;

namespace TuneSharp.Cli.Tests;

[CollectionDefinition("cli", DisableParallelization = true)]
public sealed class CliCollection;

/// <summary>A random-weight quickstart model (tokenizer covering Hangul) shared by the Korean examples.</summary>
public sealed class QuickstartModelFixture : IDisposable
{
    public QuickstartModelFixture()
    {
        Root = CliRunner.TempDir("qs-base");
        ModelDir = Path.Combine(Root, "base-model");
        new QuickstartRunner(QuickstartOptions.Tiny(Root) with { PretrainSteps = 0 }, TextWriter.Null).CreateBaseModel(ModelDir);
    }

    public string Root { get; }

    public string ModelDir { get; }

    public void Dispose() => Directory.Delete(Root, true);
}

[Collection("cli")]
public sealed class ExampleTests(QuickstartModelFixture quickstart) : IClassFixture<QuickstartModelFixture>
{
    private static (int Code, string Out, string Err) Cli(params string[] args) => CliRunner.Run(args);

    private static string Example(string name) => Path.Combine(SharedAssets.RepoRoot, "examples", name, "config.yaml");

    [Theory]
    [InlineData("toeic-questions", false)]
    [InlineData("alpaca-completion-only", false)]
    [InlineData("paper-abstracts", false)]
    [InlineData("trade-qa", true)]
    [InlineData("obfuscated-reviews", true)]
    public void ExampleTrainsForAFewSteps(string name, bool needsQuickstartModel)
    {
        if (!needsQuickstartModel) SharedAssets.Require("models/tinystories-656k");
        var outDir = CliRunner.TempDir("ex-" + name);
        try
        {
            var args = new List<string> { "train", "--config", Example(name), "training.max_steps=2", $"training.output_dir={outDir}",
                                          "training.logging_steps=1", "training.eval_steps=1", "training.save_steps=1" };
            if (needsQuickstartModel) args.Add($"model.name_or_path={quickstart.ModelDir}");
            var (code, stdout, stderr) = Cli([.. args]);
            Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
            Assert.True(File.Exists(Path.Combine(outDir, "adapter_model.safetensors")), stdout);
            Assert.Contains("completed at step 2/2", stdout);
        }
        finally { Directory.Delete(outDir, true); }
    }

    [Fact]
    public void ConfigKeyTypoIsOneParagraphAndLeavesNoOutput()
    {
        var outDir = Path.Combine(Path.GetTempPath(), "tunesharp-typo-" + Guid.NewGuid().ToString("N"));
        var (code, stdout, stderr) = Cli("train", "--config", Example("toeic-questions"), "training.learning_rat=1e-3", $"training.output_dir={outDir}");
        Assert.NotEqual(0, code);
        Assert.Contains("learning_rate", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.False(Directory.Exists(outDir) && Directory.EnumerateFiles(outDir).Any(), "a failed run left files");
    }

    [Fact]
    public void MissingColumnAndMalformedInputsAreClearErrors()
    {
        var dir = CliRunner.TempDir("cli-bad");
        try
        {
            var tokDir = SharedAssets.Require("models/tinystories-656k");
            File.WriteAllText(Path.Combine(dir, "qa.jsonl"), "{\"question\":\"a\",\"answer\":\"b\"}\n");
            var (code, _, err) = Cli("data", "preview", "--data", Path.Combine(dir, "qa.jsonl"), "--tokenizer", tokDir);
            Assert.Equal((int)ExitCode.InputFormat, code);
            Assert.Contains("row 1", err);
            Assert.Contains("'instruction'", err);
            Assert.Contains("dataset.columns", err);

            File.WriteAllText(Path.Combine(dir, "bad.jsonl"), "{\"instruction\":\"a\",\"output\":\"b\"}\n{\"instruction\": oops}\n");
            (code, _, err) = Cli("data", "preview", "--data", Path.Combine(dir, "bad.jsonl"), "--tokenizer", tokDir);
            Assert.Equal((int)ExitCode.InputFormat, code);
            Assert.Contains("bad.jsonl: row 2 (line 2)", err);

            File.WriteAllText(Path.Combine(dir, "bad.csv"), "instruction,output\n\"unterminated,x\n");
            (code, _, err) = Cli("data", "preview", "--data", Path.Combine(dir, "bad.csv"), "--tokenizer", tokDir);
            Assert.Equal((int)ExitCode.InputFormat, code);
            Assert.Contains("bad.csv", err);

            (code, _, err) = Cli("data", "preview", "--data", Path.Combine(dir, "qa.jsonl"), "--tokenizer", tokDir, "--format", "custom", "--template", "Answer this:");
            Assert.Equal((int)ExitCode.InputFormat, code);
            Assert.Contains("placeholder", err);
            Assert.All(err.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.DoesNotContain("   at ", l));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void PreviewMarksTrainedSpansAndCountsTokens()
    {
        var (code, stdout, stderr) = Cli("data", "preview", "--data", SharedAssets.Require("datasets/alpaca-demo/alpaca_en_demo.json"),
            "--tokenizer", SharedAssets.Require("models/tinystories-656k"), "-n", "2");
        Assert.True(code == 0, stderr);
        Assert.Contains("alpaca_en_demo.json: row 1:", stdout);
        Assert.Contains("[[", stdout);
        Assert.Contains("── 999 rows", stdout);
    }

    [Fact]
    public void InfoAndChatWorkOnTheQuickstartModel()
    {
        var (code, stdout, stderr) = Cli("info", "--model", quickstart.ModelDir);
        Assert.True(code == 0, stderr);
        Assert.Contains("Llama", stdout);
        Assert.Contains("chat_template: true", stdout);

        var stdin = Console.In;
        Console.SetIn(new StringReader("What is FOB?\n/reset\n선하증권이 무엇인가요?\n/exit\nnever read\n"));
        try
        {
            (code, stdout, stderr) = Cli("chat", "--model", quickstart.ModelDir, "--max-new-tokens", "4", "--temperature", "0");
            Assert.True(code == 0, stderr);
            Assert.Contains("[conversation reset]", stdout);
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(stdout, @"\[conversation reset\]"));
            Assert.DoesNotContain("never read", stdout);
        }
        finally { Console.SetIn(stdin); }
    }

    [Fact]
    public void AugmentAndConvertWriteJsonl()
    {
        var dir = CliRunner.TempDir("cli-aug");
        try
        {
            var root = Path.Combine(SharedAssets.RepoRoot, "examples");
            var (code, _, err) = Cli("data", "augment", "-i", Path.Combine(root, "obfuscated-reviews/data/reviews.jsonl"), "-o", Path.Combine(dir, "a.jsonl"), "--copies", "2", "--seed", "7");
            Assert.True(code == 0, err);
            Assert.Equal(12 + 24, File.ReadAllLines(Path.Combine(dir, "a.jsonl")).Length); // originals kept by default
            (code, _, err) = Cli("data", "convert", "exam", "-i", Path.Combine(root, "trade-qa/data/exam.txt"), "-o", Path.Combine(dir, "e.jsonl"));
            Assert.True(code == 0, err);
            Assert.Equal(8, File.ReadAllLines(Path.Combine(dir, "e.jsonl")).Length);
            (code, _, err) = Cli("data", "augment", "-i", Path.Combine(root, "obfuscated-reviews/data/reviews.jsonl"), "-o", Path.Combine(dir, "b.jsonl"), "--liaison-rate", "2");
            Assert.Equal((int)ExitCode.InputFormat, code);
            Assert.Contains("liaison_rate", err);
        }
        finally { Directory.Delete(dir, true); }
    }
}
