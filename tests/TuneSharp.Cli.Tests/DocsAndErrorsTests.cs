// Documentation generated from code stays current (config keys, the README's C# program), and the one CLI error handler maps errors to exit codes without traces.
using TuneSharp.Testing;
using TuneSharp.Training.Config;

namespace TuneSharp.Cli.Tests;

[Collection("cli")]
public sealed class DocsAndErrorsTests
{
    [Fact]
    public void ConfigKeysDocIsCurrent()
    {
        var committed = File.ReadAllText(Path.Combine(SharedAssets.RepoRoot, "docs", "config-keys.md"));
        Assert.True(committed == ConfigKeys.Markdown(),
            "docs/config-keys.md is stale: run `dotnet run -c Release --project src/TuneSharp.Cli -- config keys --output docs/config-keys.md`");
        var (code, stdout, _) = CliRunner.Run("config", "keys");
        Assert.Equal(0, code);
        Assert.Equal(committed, stdout);
    }

    [Fact]
    public void ReadmeProgramIsTheExampleAndShort()
    {
        var program = File.ReadAllText(Path.Combine(SharedAssets.RepoRoot, "examples", "csharp-api", "Program.cs")).TrimEnd();
        var readme = File.ReadAllText(Path.Combine(SharedAssets.RepoRoot, "README.md"));
        Assert.Contains("```csharp\n" + program + "\n```", readme);
        Assert.True(program.Split('\n').Length <= 15, $"the README's C# program has {program.Split('\n').Length} lines (≤ 15)");
    }

    [Theory]
    [InlineData(ExitCode.Usage, "generate", "--model", "x")]                                        // neither --prompt nor --prompt-ids
    [InlineData(ExitCode.Usage, "train", "--no-such-flag")]                                       // parser error
    [InlineData(ExitCode.Config, "train", "training.learning_rat=1")]                             // unknown key
    [InlineData(ExitCode.Config, "train", "training.eval_strategy=sometimes")]                    // bad enum value
    [InlineData(ExitCode.InputFormat, "tokenize", "--tokenizer", "/no/such/tokenizer.json")]      // missing input file
    public void ErrorsEndInTheHandlerWithTheirExitCode(ExitCode expected, params string[] args)
    {
        var (code, _, err) = CliRunner.Run(args);
        Assert.True((int)expected == code, $"exit {code}, expected {(int)expected} ({expected}): {err}");
        Assert.StartsWith("error: ", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void HandlerNamesUnexpectedExceptionsAsBugs()
    {
        var err = new StringWriter();
        Assert.Equal((int)ExitCode.InternalError, CliErrorHandler.Report(new InvalidOperationException("boom"), err));
        Assert.Contains("internal error (InvalidOperationException): boom", err.ToString());
        Assert.Equal((int)ExitCode.Interrupted, CliErrorHandler.Report(new OperationCanceledException(), new StringWriter()));
        Assert.Equal((int)ExitCode.Config, CliErrorHandler.Report(new ConfigException("x"), new StringWriter()));
    }
}
