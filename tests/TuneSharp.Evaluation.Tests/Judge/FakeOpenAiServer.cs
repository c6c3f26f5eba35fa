// A local OpenAI-compatible /v1/chat/completions endpoint on 127.0.0.1 for judge tests; scripted replies, failures and delays.
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace TuneSharp.Evaluation.Tests.Judge;

/// <summary>What the fake answers to one request: an HTTP status, the reply text, and a delay before answering.</summary>
internal readonly record struct FakeReply(int Status, string Content, int DelayMs = 0);

internal sealed class FakeOpenAiServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<string, int, FakeReply> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, int> _attempts = new();
    private int _requests;

    /// <summary>handler(user prompt, attempt number of that prompt starting at 1) → reply.</summary>
    public FakeOpenAiServer(Func<string, int, FakeReply> handler)
    {
        _handler = handler;
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public Uri Endpoint => new($"http://127.0.0.1:{Port}/v1");
    public int Requests => _requests;
    public ConcurrentBag<string> AuthorizationHeaders { get; } = [];

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) when (_stop.IsCancellationRequested || !_listener.IsListening) { return; }
            _ = Task.Run(() => HandleAsync(ctx));
        }
    }

    private async Task HandleAsync(HttpListenerContext ctx)
    {
        try
        {
            Interlocked.Increment(ref _requests);
            AuthorizationHeaders.Add(ctx.Request.Headers["Authorization"] ?? "");
            string body;
            using (var reader = new StreamReader(ctx.Request.InputStream, Encoding.UTF8)) body = await reader.ReadToEndAsync();
            var json = JsonNode.Parse(body)!;
            string user = json["messages"]!.AsArray().Last()!["content"]!.GetValue<string>();
            int attempt = _attempts.AddOrUpdate(user, 1, (_, n) => n + 1);
            var reply = _handler(user, attempt);
            if (reply.DelayMs > 0) await Task.Delay(reply.DelayMs, _stop.Token);
            ctx.Response.StatusCode = reply.Status;
            ctx.Response.ContentType = "application/json";
            string payload = reply.Status == 200
                ? new JsonObject
                {
                    ["id"] = "chatcmpl-fake", ["object"] = "chat.completion", ["created"] = 0, ["model"] = json["model"]!.GetValue<string>(),
                    ["choices"] = new JsonArray(new JsonObject
                    {
                        ["index"] = 0, ["finish_reason"] = "stop",
                        ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = reply.Content },
                    }),
                    ["usage"] = new JsonObject { ["prompt_tokens"] = 100, ["completion_tokens"] = 10, ["total_tokens"] = 110 },
                }.ToJsonString()
                : new JsonObject { ["error"] = new JsonObject { ["message"] = reply.Content, ["type"] = "server_error" } }.ToJsonString();
            var bytes = Encoding.UTF8.GetBytes(payload);
            ctx.Response.ContentLength64 = bytes.Length;
            await ctx.Response.OutputStream.WriteAsync(bytes, _stop.Token);
            ctx.Response.Close();
        }
        catch (Exception)
        {
            // The client may have given up (timeout test) or the server is stopping.
            try { ctx.Response.Abort(); } catch (ObjectDisposedException) { }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _listener.Stop(); _listener.Close(); } catch (ObjectDisposedException) { }
    }
}
