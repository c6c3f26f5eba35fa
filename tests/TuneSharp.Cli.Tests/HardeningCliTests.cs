// Issue 14 through the CLI: llm-extract (key variable, progress, resumable output, failure causes), row names,
// override errors, context warnings in generate, chat history trimming.
using System.Globalization;
using TuneSharp.Testing;

namespace TuneSharp.Cli.Tests;

[Collection("cli")]
public sealed class HardeningCliTests : IDisposable
{
    private const string Key = "sk-cli-SECRET-5678";
    private readonly string _dir = CliRunner.TempDir("cli-harden");
    private readonly string _keyVar = "TUNESHARP_TEST_KEY_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(_keyVar, null);
        Directory.Delete(_dir, true);
    }

    private static string Model => SharedAssets.Require("models/tinystories-656k");

    private string Transcript(int paragraphs)
    {
        var path = Path.Combine(_dir, "call.txt");
        File.WriteAllText(path, string.Join("\n\n", Enumerable.Range(1, paragraphs).Select(k => $"Paragraph {k} about bills of lading.")));
        return path;
    }

    private (int Code, string Out, string Err) Extract(string endpoint, string output, params string[] extra) =>
        CliRunner.Run(["data", "convert", "llm-extract", "-i", Transcript(3), "-o", output, "--endpoint", endpoint, "--chunk-chars", "40",
            .. extra.Contains("--api-key-env") ? extra : ["--api-key-env", _keyVar, .. extra]]);

    [Fact]
    public void LlmExtractMissingKeyVariableIsAnErrorBeforeAnyRequest()
    {
        using var server = new FakeOpenAiEndpoint((_, _) => new FakeChatReply(200, FakeOpenAiEndpoint.QaPairs(("q", "a"))));
        var (code, _, err) = Extract(server.Endpoint, Path.Combine(_dir, "qa.jsonl"));
        Assert.Equal(2, code);
        Assert.Contains($"the environment variable {_keyVar} (--api-key-env) is not set", err);
        Assert.Contains("--api-key-env ''", err);
        Assert.Equal(0, server.Requests);
    }

    [Fact]
    public void LlmExtractWritesProgressAndResumes()
    {
        Environment.SetEnvironmentVariable(_keyVar, Key);
        using var server = new FakeOpenAiEndpoint((user, _) => new FakeChatReply(200, FakeOpenAiEndpoint.QaPairs(("Q" + user.Split(' ')[1], "A"))));
        var output = Path.Combine(_dir, "qa.jsonl");
        var (code, stdout, stderr) = Extract(server.Endpoint, output, "--request-timeout", "30");
        Assert.True(code == 0, stderr);
        Assert.Contains("llm-extract: chunk 1/3 (call.txt): 1 pair;", stderr);
        Assert.Contains("elapsed, ETA", stderr);
        Assert.Contains("3 rows from 3 chunks", stdout);
        Assert.DoesNotContain(Key, stdout + stderr);
        Assert.All(server.AuthorizationHeaders, h => Assert.Equal("Bearer " + Key, h));
        Assert.Equal(3, File.ReadAllLines(output).Length);

        var again = Extract(server.Endpoint, output);
        Assert.Equal(0, again.Code);
        Assert.Contains("resuming: 3 of 3 chunks are already in", again.Err);
        Assert.Equal(3, server.Requests);
        Assert.Equal(3, File.ReadAllLines(output).Length);
    }

    [Theory]
    [InlineData(401, 6, "an authentication error, not a problem with the input")]
    [InlineData(500, 6, "a server error, not a problem with the input")]
    public void LlmExtractFailureIsReportedAsItsCause(int status, int exit, string cause)
    {
        Environment.SetEnvironmentVariable(_keyVar, Key);
        using var server = new FakeOpenAiEndpoint((_, _) => new FakeChatReply(status, "Incorrect API key provided: " + Key));
        var (code, _, err) = Extract(server.Endpoint, Path.Combine(_dir, "qa.jsonl"));
        Assert.Equal(exit, code);
        Assert.Contains(cause, err);
        Assert.DoesNotContain(Key, err);
        Assert.DoesNotContain("marker", err);
        if (status == 401) Assert.Contains(_keyVar, err);
    }

    [Fact]
    public void LlmExtractConnectionRefusedIsANetworkError()
    {
        var (code, _, err) = Extract($"http://127.0.0.1:{FakeOpenAiEndpoint.FreePort()}/v1", Path.Combine(_dir, "qa.jsonl"), "--api-key-env", "");
        Assert.True(code == 6, err);
        Assert.Contains("connection refused", err);
        Assert.Contains("a network error", err);
        Assert.DoesNotContain("marker", err);
    }

    [Fact]
    public void DataPreviewAndTrainNameTheSameRowTheSameWay()
    {
        var data = Path.Combine(_dir, "data.jsonl");
        File.WriteAllText(data, "{\"instruction\":\"a\",\"output\":\"b\"}\n{\"instruction\":\"c\",\"output\":\"d\"}\n{\"instruction\":\"e\"}\n");
        var preview = CliRunner.Run("data", "preview", "--data", data, "--tokenizer", Model, "-n", "0");
        var train = CliRunner.Run("train", "--model", Model, "--data", data, "--output-dir", Path.Combine(_dir, "out"), "training.max_steps=1");
        Assert.Equal(4, preview.Code);
        Assert.Equal(4, train.Code);
        string expected = $"error: {data}: row 3: the alpaca format needs the field 'output'";
        Assert.StartsWith(expected, preview.Err.Trim());
        Assert.StartsWith(expected, train.Err.Split('\n').First(l => l.StartsWith("error:", StringComparison.Ordinal)));

        File.WriteAllText(data, "{\"instruction\":\"a\",\"output\":\"b\"}\n\n{\"instruction\": x}\n");
        preview = CliRunner.Run("data", "preview", "--data", data, "--tokenizer", Model, "-n", "0");
        train = CliRunner.Run("train", "--model", Model, "--data", data, "--output-dir", Path.Combine(_dir, "out2"), "training.max_steps=1");
        expected = $"error: {data}: row 2 (line 3): invalid JSON";
        Assert.StartsWith(expected, preview.Err.Trim());
        Assert.Contains(expected, train.Err);
    }

    [Fact]
    public void UnknownOverrideIsBlamedOnTheOverride()
    {
        var config = Path.Combine(_dir, "base.yaml");
        File.WriteAllText(config, $"model:\n  name_or_path: {Model}\ntraining:\n  max_steps: 1\n");
        var (code, _, err) = CliRunner.Run("train", "--config", config, "trainig.learning_rate=1e-4");
        Assert.Equal(3, code);
        Assert.Contains("command-line override 'trainig.learning_rate=1e-4': unknown section 'trainig'", err);
        Assert.Contains("Did you mean 'training'?", err);
        Assert.DoesNotContain("base.yaml: line 1", err);
    }

    [Fact]
    public void GenerateWarnsAboutAPromptBeyondThePositions()
    {
        var ids = string.Join(",", Enumerable.Repeat("1", 600));
        var (code, _, err) = CliRunner.Run("generate", "--model", Model, "--prompt-ids", ids, "--max-new-tokens", "1", "--json");
        Assert.Equal(0, code);
        Assert.Contains("warning: the prompt is 600 tokens, longer than the model's max_position_embeddings 512", err);
    }

    [Fact]
    public void ChatTrimsTheHistoryWithANotice()
    {
        // Each message is ~200 tokens; with --max-new-tokens 4 the prompt budget is 508, so the third turn drops the first.
        string message = string.Join(' ', Enumerable.Range(0, 200).Select(i => (i % 7).ToString(CultureInfo.InvariantCulture)));
        var input = Console.In;
        Console.SetIn(new StringReader($"{message}\n{message}\n{message}\n/exit\n"));
        try
        {
            var (code, _, err) = CliRunner.Run("chat", "--model", Model, "--system", "You tell stories.", "--max-new-tokens", "4", "--temperature", "0");
            Assert.Equal(0, code);
            Assert.Contains("[history trimmed: dropped the 2 oldest messages (the system prompt stays) to keep the prompt within 508 tokens of the model's max_position_embeddings 512]", err);
            Assert.DoesNotContain("warning: the prompt is", err);
        }
        finally { Console.SetIn(input); }
    }
}
