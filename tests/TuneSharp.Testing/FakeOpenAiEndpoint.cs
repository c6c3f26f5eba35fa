// A local OpenAI-compatible /v1/chat/completions endpoint on 127.0.0.1 for tests: scripted replies, HTTP failures and stalls.
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace TuneSharp.Testing;

/// <summary>
/// A fake OpenAI-compatible chat endpoint for the judge, llm-extract and quickstart tests: an HttpListener on a free
/// loopback port, each request answered by <c>handler(user message, request number from 1)</c> (or the message's own
/// attempt number through <see cref="PerMessageAttempts"/>); 200 replies carry a fixed usage, non-200 statuses an
/// OpenAI-style <c>{"error":{"message":…}}</c> body. Records every Authorization header.
/// </summary>
public sealed class FakeOpenAiEndpoint : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<string, int, FakeChatReply> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _authorization = [];
    private int _requests;

    public FakeOpenAiEndpoint(Func<string, int, FakeChatReply> handler)
    {
        _handler = handler;
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = Task.Run(LoopAsync);
    }

    public int Port { get; }

    /// <summary>The /v1 base URL to give a client.</summary>
    public string Endpoint => $"http://127.0.0.1:{Port}/v1";

    public int Requests => Volatile.Read(ref _requests);

    public IReadOnlyList<string> AuthorizationHeaders { get { lock (_authorization) return [.. _authorization]; } }

    /// <summary>A loopback port nothing listens on right now (for connection-refused tests).</summary>
    /// <summary>Base URL as a <see cref="Uri"/> (".../v1").</summary>
    public Uri BaseUri => new(Endpoint);

    /// <summary>
    /// Adapts a handler that wants the attempt number of the same message (1 = first time this user text arrives, 2 = its
    /// first retry, …) instead of the endpoint's overall request count: retry tests fail a message's first tries only.
    /// </summary>
    public static Func<string, int, FakeChatReply> PerMessageAttempts(Func<string, int, FakeChatReply> handler)
    {
        var attempts = new System.Collections.Concurrent.ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        return (user, _) => handler(user, attempts.AddOrUpdate(user, 1, (_, n) => n + 1));
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>A chat-completion reply whose content is a {"qa_pairs": […]} object with the given pairs.</summary>
    public static string QaPairs(params (string Question, string Answer)[] pairs) =>
        new JsonObject { ["qa_pairs"] = new JsonArray(pairs.Select(p => (JsonNode)new JsonObject { ["question"] = p.Question, ["answer"] = p.Answer }).ToArray()) }.ToJsonString();

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
            int n = Interlocked.Increment(ref _requests);
            lock (_authorization) _authorization.Add(ctx.Request.Headers["Authorization"] ?? "");
            string body;
            using (var reader = new StreamReader(ctx.Request.InputStream, Encoding.UTF8)) body = await reader.ReadToEndAsync();
            var json = JsonNode.Parse(body)!;
            string user = json["messages"]!.AsArray().Last()!["content"]!.GetValue<string>();
            var reply = _handler(user, n);
            if (reply.DelayMs > 0) await Task.Delay(reply.DelayMs, _stop.Token);
            ctx.Response.StatusCode = reply.Status;
            ctx.Response.ContentType = "application/json";
            string payload = reply.Status == 200
                ? new JsonObject
                {
                    ["id"] = "chatcmpl-fake", ["object"] = "chat.completion", ["created"] = 0, ["model"] = json["model"]?.GetValue<string>() ?? "",
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
            // The client gave up (timeout tests) or the fake is stopping.
            try { ctx.Response.Abort(); } catch (ObjectDisposedException) { }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _listener.Stop(); _listener.Close(); } catch (ObjectDisposedException) { }
    }
}
