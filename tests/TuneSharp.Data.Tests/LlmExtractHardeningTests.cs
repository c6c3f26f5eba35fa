// Issue 14: llm-extract appends each finished chunk and resumes; a per-request timeout; failures named by cause (auth, server, network).
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using TuneSharp.Data.Converters;
using TuneSharp.Testing;

namespace TuneSharp.Data.Tests;

public sealed class LlmExtractHardeningTests : IDisposable
{
    private const string Key = "sk-test-SECRET-1234";
    private readonly string _dir = Directory.CreateTempSubdirectory("tunesharp-llmx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Paragraph k is chunk k (ChunkChars 40 keeps one paragraph per chunk).
    private static string Text(int n) => string.Join("\n\n", Enumerable.Range(1, n).Select(k => $"Paragraph {k} about bills of lading."));

    private static int ParagraphOf(string user) => int.Parse(user.Split(' ')[1]);

    private static FakeChatReply Good(string user, int _) =>
        new(200, FakeOpenAiEndpoint.QaPairs(($"Q{ParagraphOf(user)}", $"A{ParagraphOf(user)}")));

    private static LlmQaExtractor Extractor(string endpoint, List<string>? log = null, TimeSpan? timeout = null, HttpMessageHandler? handler = null) =>
        new(handler is null ? new HttpClient() : new HttpClient(handler), new LlmQaExtractorOptions
        {
            Endpoint = endpoint, ApiKey = Key, ApiKeyEnv = "OPENAI_API_KEY", ChunkChars = 40,
            RequestTimeout = timeout ?? TimeSpan.FromSeconds(30),
        }, log is null ? null : s => { lock (log) log.Add(s); });

    private string Output => Path.Combine(_dir, "qa.jsonl");

    private List<JsonObject> Rows() => File.ReadAllLines(Output).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();

    [Fact]
    public async Task RowsAreAppendedAsEachChunkFinishes()
    {
        var seenBefore = new List<int>();
        using var server = new FakeOpenAiEndpoint((user, n) =>
        {
            // When request n arrives, the n − 1 earlier chunks are already in the file.
            seenBefore.Add(File.Exists(Output) ? File.ReadAllLines(Output).Length : 0);
            return Good(user, n);
        });
        var progress = new List<string>();
        var summary = await LlmExtractJob.RunAsync(Extractor(server.Endpoint), [("call.txt", Text(4))], Output, progress.Add);
        Assert.Equal([0, 1, 2, 3], seenBefore);
        Assert.Equal(["Q1", "Q2", "Q3", "Q4"], Rows().Select(r => r["instruction"]!.GetValue<string>()));
        Assert.All(Rows(), r => Assert.Equal(16, r["chunk_id"]!.GetValue<string>().Length));
        Assert.Equal(new LlmExtractSummary(4, 0, 4, 0, 4, 4, Output + ".progress"), summary);
        Assert.Equal(4, progress.Count);
        Assert.StartsWith("chunk 1/4 (call.txt): 1 pair; 0:0", progress[0]);
        Assert.Contains("elapsed, ETA ", progress[0]);
        Assert.DoesNotContain("ETA", progress[3]);
        Assert.All(server.AuthorizationHeaders, h => Assert.Equal("Bearer " + Key, h));
    }

    [Fact]
    public async Task RerunSkipsChunksAlreadyDoneAndRetriesTheRest()
    {
        // First run: the key is revoked after two chunks (an auth error stops the run at once).
        using (var failing = new FakeOpenAiEndpoint((user, n) => n <= 2 ? Good(user, n) : new FakeChatReply(401, "Incorrect API key provided: " + Key)))
        {
            var e = await Assert.ThrowsAsync<LlmEndpointException>(() => LlmExtractJob.RunAsync(Extractor(failing.Endpoint), [("call.txt", Text(5))], Output));
            Assert.Equal(LlmFailureKind.Auth, e.Kind);
            Assert.Contains("2 of 5 chunks are in", e.Message);
            Assert.Contains("rerun the same command to resume", e.Message);
            Assert.Equal(3, failing.Requests);
        }
        Assert.Equal(2, Rows().Count);
        // A kill between the rows and their commit record, and a torn line: both are dropped on resume.
        File.AppendAllText(Output, "{\"instruction\":\"stray\",\"input\":\"\",\"output\":\"x\",\"source\":\"call.txt\",\"chunk_id\":\"00000000deadbeef\"}\n{\"instruction\":\"to");
        File.AppendAllText(Output + ".progress", "{\"chunk_id\":\"0000");

        var asked = new List<int>();
        using var server = new FakeOpenAiEndpoint((user, n) => { lock (asked) asked.Add(ParagraphOf(user)); return Good(user, n); });
        var progress = new List<string>();
        var summary = await LlmExtractJob.RunAsync(Extractor(server.Endpoint), [("call.txt", Text(5))], Output, progress.Add);
        Assert.Equal([3, 4, 5], asked);
        Assert.StartsWith("resuming: 2 of 5 chunks are already in", progress[0]);
        Assert.Equal(["Q1", "Q2", "Q3", "Q4", "Q5"], Rows().Select(r => r["instruction"]!.GetValue<string>()));
        Assert.Equal(5, summary.RowsInOutput);
        Assert.Equal(5, File.ReadAllLines(Output + ".progress").Length);

        // A third run has nothing left to do and sends nothing.
        var again = await LlmExtractJob.RunAsync(Extractor(server.Endpoint), [("call.txt", Text(5))], Output);
        Assert.Equal(3, server.Requests);
        Assert.Equal((5, 0, 5), (again.Resumed, again.Done, again.RowsInOutput));
    }

    [Fact]
    public async Task StalledRequestTimesOutAsNetworkAndTheRunGoesOn()
    {
        using var server = new FakeOpenAiEndpoint((user, n) => ParagraphOf(user) == 2 ? new FakeChatReply(200, "{}", DelayMs: 10_000) : Good(user, n));
        var log = new List<string>();
        var progress = new List<string>();
        // The timeout leaves the answered chunks ample time on a loaded CI machine (300 ms did not); only chunk 2 stalls.
        var summary = await LlmExtractJob.RunAsync(Extractor(server.Endpoint, log, TimeSpan.FromSeconds(2)), [("call.txt", Text(3))], Output, progress.Add);
        Assert.Equal((3, 2, 1), (summary.Chunks, summary.Done, summary.Failed));
        var warning = Assert.Single(log);
        Assert.StartsWith("chunk 2/3 (call.txt): no reply from http://127.0.0.1:", warning);
        Assert.Contains("within 2 s (--request-timeout): a network timeout", warning);
        Assert.Contains("a rerun retries it", warning);
        Assert.StartsWith("chunk 2/3 (call.txt): failed;", progress[1]);
        Assert.Equal(["Q1", "Q3"], Rows().Select(r => r["instruction"]!.GetValue<string>()));
    }

    [Fact]
    public async Task AuthFailureNamesTheKeyVariableNeverTheKeyNorTheInput()
    {
        using var server = new FakeOpenAiEndpoint((_, _) => new FakeChatReply(401, "Incorrect API key provided: " + Key));
        var e = await Assert.ThrowsAsync<LlmEndpointException>(() => LlmExtractJob.RunAsync(Extractor(server.Endpoint), [("call.txt", Text(3))], Output));
        Assert.Equal(LlmFailureKind.Auth, e.Kind);
        Assert.Equal(ExitCode.External, e.ExitCode);
        Assert.Contains("HTTP 401", e.Message);
        Assert.Contains("authentication error, not a problem with the input", e.Message);
        Assert.Contains("OPENAI_API_KEY", e.Message);
        Assert.DoesNotContain(Key, e.Message);
        Assert.Contains("***", e.Message);
        Assert.DoesNotContain("marker", e.Message);
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task ServerErrorsStopAfterThreeInARow()
    {
        using var server = new FakeOpenAiEndpoint((_, _) => new FakeChatReply(503, "overloaded"));
        var log = new List<string>();
        var e = await Assert.ThrowsAsync<LlmEndpointException>(() => LlmExtractJob.RunAsync(Extractor(server.Endpoint, log), [("call.txt", Text(6))], Output));
        Assert.Equal(LlmFailureKind.Server, e.Kind);
        Assert.StartsWith("3 requests in a row failed, so the run stops; the last: http://127.0.0.1:", e.Message);
        Assert.Contains("HTTP 503 Service Unavailable (overloaded): a server error, not a problem with the input", e.Message);
        Assert.Equal(3, server.Requests);
        Assert.Equal(2, log.Count);
    }

    [Fact]
    public async Task EveryChunkFailingIsTheErrorNotAnEmptyResult()
    {
        using var server = new FakeOpenAiEndpoint((_, _) => new FakeChatReply(500, "boom"));
        var e = await Assert.ThrowsAsync<LlmEndpointException>(() => Extractor(server.Endpoint).ExtractAsync("one short chunk", "t.txt"));
        Assert.Equal(LlmFailureKind.Server, e.Kind);
        Assert.StartsWith("every request failed (1 of 1); the last:", e.Message);
        Assert.Contains("HTTP 500", e.Message);
    }

    [Fact]
    public async Task ConnectionRefusedIsANetworkError()
    {
        var endpoint = $"http://127.0.0.1:{FakeOpenAiEndpoint.FreePort()}/v1";
        var e = await Assert.ThrowsAsync<LlmEndpointException>(() => LlmExtractJob.RunAsync(Extractor(endpoint), [("call.txt", Text(4))], Output));
        Assert.Equal(LlmFailureKind.Network, e.Kind);
        Assert.Contains("cannot reach " + endpoint, e.Message);
        Assert.Contains("connection refused", e.Message);
        Assert.Contains("a network error", e.Message);
    }

    [Fact]
    public async Task DnsFailureIsANetworkError()
    {
        var handler = new ThrowingHandler(new HttpRequestException("Name or service not known (nowhere.invalid:80)", new SocketException((int)SocketError.HostNotFound)));
        var e = await Assert.ThrowsAsync<LlmEndpointException>(() => Extractor("http://nowhere.invalid/v1", handler: handler).ExtractAsync("x", "t.txt"));
        Assert.Equal(LlmFailureKind.Network, e.Kind);
        Assert.Contains("host name not found (DNS)", e.Message);
    }

    [Fact]
    public async Task AForeignOutputFileIsNotAppendedTo()
    {
        File.WriteAllText(Output, "{\"instruction\":\"mine\"}\n");
        using var server = new FakeOpenAiEndpoint(Good);
        var e = await Assert.ThrowsAsync<LlmExtractOutputException>(() => LlmExtractJob.RunAsync(Extractor(server.Endpoint), [("call.txt", Text(2))], Output));
        Assert.Contains("not a resumable llm-extract output", e.Message);
        Assert.Equal(0, server.Requests);
        Assert.Equal(ExitCode.Output, e.ExitCode);
    }

    private sealed class ThrowingHandler(Exception e) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Task.FromException<HttpResponseMessage>(e);
    }
}
