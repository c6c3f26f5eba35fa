// 1,000 malformed or hostile requests (bad JSON, wrong types, huge/negative values, unknown models, oversized and
// invalid UTF-8 bodies, missing keys, slow-loris partial bodies): every one gets a 4xx and the server keeps serving.
using System.Net;
using System.Net.Sockets;
using System.Text;
using OpenAI.Chat;

namespace TuneSharp.Serving.Tests;

[Collection("server")]
public sealed class HostileInputTests(ServerFixture f)
{
    private HttpRequestMessage Post(string path, HttpContent content, string? key = ServerFixture.Key)
    {
        var r = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        r.Headers.Authorization = key is null ? null : new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return r;
    }

    private IEnumerable<Func<HttpRequestMessage>> Cases()
    {
        string m = f.Model;
        string Chat(string extra) => $$"""{"model":"{{m}}","messages":[{"role":"user","content":"hi"}]{{extra}}}""";
        var json = new[]
        {
            "{", "not json", "[]", "null", "42", "\"str\"", "{\"model\":", "{}",
            $$"""{"model":"{{m}}"}""",
            $$"""{"model":"{{m}}","messages":5}""",
            $$"""{"model":"{{m}}","messages":[]}""",
            $$"""{"model":"{{m}}","messages":[{"role":"wizard","content":"x"}]}""",
            $$"""{"model":"{{m}}","messages":[{"role":"user","content":7}]}""",
            $$"""{"model":"{{m}}","messages":["hi"]}""",
            """{"model":"no-such-adapter","messages":[{"role":"user","content":"hi"}]}""",
            """{"model":17,"messages":[{"role":"user","content":"hi"}]}""",
            Chat(""","max_tokens":1000000000"""), Chat(""","max_tokens":-1"""), Chat(""","max_tokens":0"""), Chat(""","max_tokens":"10" """),
            Chat(""","max_tokens":1.5"""), Chat(""","max_completion_tokens":99999999999"""), Chat(""","temperature":-1"""), Chat(""","temperature":"hot" """),
            Chat(""","temperature":3"""), Chat(""","top_p":0"""), Chat(""","top_p":1.5"""), Chat(""","top_k":-5"""), Chat(""","min_p":2"""),
            Chat(""","repetition_penalty":0"""), Chat(""","presence_penalty":-3"""), Chat(""","frequency_penalty":9"""), Chat(""","seed":"x" """),
            Chat(""","stop":[1,2]"""), Chat(""","stop":["a","b","c","d","e"]"""), Chat(""","stop":"" """), Chat(""","n":3"""), Chat(""","stream":"yes" """),
            Chat(""","stream_options":5"""), Chat(""","logprobs":true,"top_logprobs":50"""), Chat(""","top_logprobs":2"""),
            Chat(""","response_format":{"type":"yaml"}"""), Chat(""","response_format":{"type":"json_schema"}"""),
            Chat(""","response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"quaternion"}}}"""),
            Chat(""","response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"$ref":"http://evil/x"}}}"""),
            Chat(""","response_format":"json" """),
            new string('[', 5000) + new string(']', 5000),
            $$"""{"model":"{{m}}","messages":[{"role":"user","content":"{{string.Join(' ', Enumerable.Repeat("dog", 3000))}}"}]}""",
        };
        foreach (var j in json) yield return () => Post("v1/chat/completions", ServerFixture.Json(j));
        var comp = new[]
        {
            $$"""{"model":"{{m}}"}""", $$"""{"model":"{{m}}","prompt":5}""", $$"""{"model":"{{m}}","prompt":[]}""",
            $$"""{"model":"{{m}}","prompt":[1,2,999999]}""", $$"""{"model":"{{m}}","prompt":[1,-2]}""", $$"""{"model":"{{m}}","prompt":"x","echo":true}""",
            $$"""{"model":"{{m}}","prompt":"x","logprobs":9}""", $$"""{"model":"{{m}}","prompt":"x","max_tokens":5000}""", $$"""{"model":"{{m}}","prompt":["a","b"],"stream":true}""",
        };
        foreach (var j in comp) yield return () => Post("v1/completions", ServerFixture.Json(j));
        yield return () => Post("v1/chat/completions", ServerFixture.Json(Chat("")), key: null);
        yield return () => Post("v1/chat/completions", ServerFixture.Json(Chat("")), key: "wrong");
        yield return () => Post("v1/adapters", ServerFixture.Json("""{"name":"x","path":"/tmp"}"""));
        yield return () => Post("v1/adapters", ServerFixture.Json("""{"name":"../x","path":"/tmp"}"""), key: ServerFixture.AdminKey);
        yield return () => Post("v1/adapters", ServerFixture.Json("""{"name":"x","path":"/no/such/dir"}"""), key: ServerFixture.AdminKey);
        yield return () => new HttpRequestMessage(HttpMethod.Delete, "v1/adapters/nothing") { Headers = { Authorization = new("Bearer", ServerFixture.AdminKey) } };
        yield return () => Post("v1/embeddings", ServerFixture.Json($$"""{"model":"{{m}}","input":"x"}"""));
        yield return () => Post("v1/embeddings", ServerFixture.Json("""{"input":5}"""));
        yield return () => Post("v1/chat/completions", ServerFixture.Json(new string(' ', 70 * 1024)));
        yield return () => Post("v1/chat/completions", new ByteArrayContent(new byte[100 * 1024]));
        yield return () => Post("v1/chat/completions", new ByteArrayContent([(byte)'{', (byte)'"', 0xC3, 0x28, 0xFF, 0xFE, (byte)'"', (byte)':', (byte)'1', (byte)'}']));
        yield return () => Post("v1/chat/completions", new ByteArrayContent(Encoding.UTF8.GetBytes($$"""{"model":"{{m}}","messages":[{"role":"user","content":"\ud800"}],"max_tokens":-4}""")));
        yield return () => Post("v1/chat/completions", new ByteArrayContent([]));
        yield return () => new HttpRequestMessage(HttpMethod.Get, "v1/chat/completions");
        yield return () => new HttpRequestMessage(HttpMethod.Get, "v1/nothing-here");
        yield return () => new HttpRequestMessage(HttpMethod.Put, "v1/models");
    }

    /// <summary>Sends headers promising a body, a few bytes of it, then stalls; the server must answer 408 (or close) within the body timeout.</summary>
    private async Task<int> SlowLoris()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, f.Server.BaseAddress.Port);
        var s = tcp.GetStream();
        var head = $"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {ServerFixture.Key}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{{\"model\":";
        await s.WriteAsync(Encoding.ASCII.GetBytes(head));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(8));
        var buf = new byte[4096];
        int n;
        try { n = await s.ReadAsync(buf, cts.Token); }
        catch (IOException) { return 499; }
        if (n == 0) return 499;
        var status = Encoding.ASCII.GetString(buf, 0, n).Split(' ')[1];
        return int.Parse(status);
    }

    [Fact]
    public async Task ThousandHostileRequests_All4xx_ServerKeepsServing()
    {
        var cases = Cases().ToList();
        using var http = new HttpClient { BaseAddress = f.Server.BaseAddress, Timeout = TimeSpan.FromSeconds(15) };
        var statuses = new List<(int Case, int Status)>();
        using var gate = new SemaphoreSlim(16);
        var tasks = new List<Task>();
        const int slow = 24;
        for (int i = 0; i < 1000 - slow; i++)
        {
            int c = i % cases.Count;
            await gate.WaitAsync();
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    using var req = cases[c]();
                    using var resp = await http.SendAsync(req);
                    lock (statuses) statuses.Add((c, (int)resp.StatusCode));
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    lock (statuses) statuses.Add((c, e is TaskCanceledException ? -1 : -2));
                }
                finally { gate.Release(); }
            }));
        }
        var loris = Enumerable.Range(0, slow).Select(_ => SlowLoris()).ToList();
        await Task.WhenAll(tasks);
        var lorisStatus = await Task.WhenAll(loris);
        var bad = statuses.Where(s => s.Status is < 400 or >= 500).ToList();
        Assert.True(bad.Count == 0, "non-4xx answers (−1 timeout, −2 connection error): " + string.Join("; ", bad.DistinctBy(b => b.Case).Take(10).Select(b => $"case {b.Case}: {b.Status}")));
        Assert.All(lorisStatus, s => Assert.True(s is 408 or 499 or 400, $"slow-loris answer {s}"));
        Assert.Contains(413, statuses.Select(s => s.Status));
        Assert.Contains(401, statuses.Select(s => s.Status));
        Assert.Contains(404, statuses.Select(s => s.Status));

        var ok = (await f.Chat().CompleteChatAsync([new UserChatMessage("still there?")], new ChatCompletionOptions { Temperature = 0f, MaxOutputTokenCount = 10 })).Value;
        Assert.Equal(f.GenerateChat("still there?", 10).Text, ok.Content[0].Text);
    }
}
