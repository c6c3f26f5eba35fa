// OpenAI-compatible HTTP server on Kestrel (wire format of the OpenAI API reference and vLLM's server): models, chat
// completions, completions, embeddings, SSE streaming, adapters at run time, /health and Prometheus /metrics.
using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TuneSharp.Inference.Scheduling;

namespace TuneSharp.Serving;

/// <summary>
/// Every body is bounded (<see cref="ServerOptions.MaxBodyBytes"/> → 413) and must arrive within
/// <see cref="ServerOptions.BodyTimeout"/> (→ 408); every failure is an OpenAI error object with a 4xx status (5xx
/// only for engine faults). Generation requests go to the engine's <see cref="BatchScheduler"/>: a full queue → 429 with
/// Retry-After, a client that disconnects cancels its sequence (its KV row is freed at the next step), and
/// <see cref="ServerOptions.RequestTimeout"/> bounds each request. <see cref="StopAsync"/> stops accepting connections
/// and lets running requests finish.
/// </summary>
public sealed class OpenAiServer : IAsyncDisposable
{
    private readonly ServingEngine _engine;
    private readonly ServerOptions _options;
    private WebApplication? _app;
    private volatile bool _stopping;
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public OpenAiServer(ServingEngine engine, ServerOptions? options = null)
    {
        _engine = engine ?? throw new ArgumentNullException(nameof(engine));
        _options = options ?? new ServerOptions();
        if (_options.MaxBodyBytes < 1024) throw new ArgumentException($"max body size must be ≥ 1024 bytes, got {_options.MaxBodyBytes}");
    }

    public ServerMetrics Metrics { get; } = new();

    public ServingEngine Engine => _engine;

    /// <summary>http://host:port/ once started (the real port when 0 was asked for).</summary>
    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    /// <summary>True when the address is a loopback one (127.0.0.0/8, ::1, localhost).</summary>
    public static bool IsLoopback(string host) =>
        host == "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var o = _options;
        if (!IsLoopback(o.Host) && !IPAddress.TryParse(o.Host, out _))
            throw OpenAiException.BadRequest($"--host '{o.Host}' is neither an IP address nor localhost");
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "TuneSharp.Serving" });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = o.ShutdownTimeout);
        builder.WebHost.ConfigureKestrel(k =>
        {
            if (o.Host == "localhost") k.ListenLocalhost(o.Port);
            else k.Listen(IPAddress.Parse(o.Host), o.Port);
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = o.MaxBodyBytes;
            k.Limits.MaxConcurrentConnections = o.MaxConnections;
            k.Limits.RequestHeadersTimeout = o.BodyTimeout;
            k.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(30);
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
        });
        var app = builder.Build();
        Map(app);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/");
        _app = app;
    }

    /// <summary>Graceful stop: no new connections or requests; running generations finish (up to the shutdown timeout).</summary>
    public async Task StopAsync()
    {
        _stopping = true;
        if (_app is { } app)
        {
            var stopHttp = app.StopAsync();
            await stopHttp;
            await app.DisposeAsync();
            _app = null;
        }
        await _engine.Scheduler.StopAsync(_options.ShutdownTimeout);
    }

    /// <summary>Completes when the host shuts down (Ctrl-C / SIGTERM).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) =>
        _app?.WaitForShutdownAsync(cancellationToken) ?? Task.CompletedTask;

    public async ValueTask DisposeAsync() => await StopAsync();

    private void Map(WebApplication app)
    {
        app.MapGet("/health", ctx => Plain(ctx, "health", _stopping ? 503 : 200, Json(new JsonObject { ["status"] = _stopping ? "stopping" : "ok" }), "application/json"));
        app.MapGet("/metrics", ctx => Plain(ctx, "metrics", 200, Metrics.Render(_engine.Scheduler), "text/plain; version=0.0.4; charset=utf-8"));
        app.MapGet("/v1/models", ctx => Handle(ctx, "models", false, false, (c, _) => WriteJson(c, 200, Models())));
        app.MapPost("/v1/chat/completions", ctx => Handle(ctx, "chat", true, false, (c, body) => Generate(c, body, chat: true)));
        app.MapPost("/v1/completions", ctx => Handle(ctx, "completions", true, false, (c, body) => Generate(c, body, chat: false)));
        app.MapPost("/v1/embeddings", ctx => Handle(ctx, "embeddings", true, false, Embeddings));
        app.MapPost("/v1/adapters", ctx => Handle(ctx, "adapters", true, true, (c, body) => LoadAdapter(c, body, "name", "path")));
        app.MapPost("/v1/load_lora_adapter", ctx => Handle(ctx, "adapters", true, true, (c, body) => LoadAdapter(c, body, "lora_name", "lora_path")));
        app.MapDelete("/v1/adapters/{name}", ctx => Handle(ctx, "adapters", false, true, (c, _) => UnloadAdapter(c, (string)c.Request.RouteValues["name"]!)));
        app.MapPost("/v1/unload_lora_adapter", ctx => Handle(ctx, "adapters", true, true, (c, body) =>
            UnloadAdapter(c, GenerationCall.Str(body, "lora_name") ?? throw OpenAiException.BadRequest("lora_name is required", "lora_name"))));
        app.MapFallback(ctx => Handle(ctx, "other", false, false, (_, _) =>
            throw new OpenAiException(404, $"no route for {ctx.Request.Method} {ctx.Request.Path}", "invalid_request_error", null, "not_found")));
    }

    private static string Json(JsonNode n) => OpenAiJson.Text(n);

    private async Task Plain(HttpContext ctx, string endpoint, int status, string text, string contentType)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = contentType;
        await ctx.Response.WriteAsync(text);
        Metrics.CountRequest(endpoint, status);
    }

    private static async Task WriteJson(HttpContext ctx, int status, JsonNode body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(Json(body));
    }

    /// <summary>Authentication, bounded body reading and JSON parsing, then the endpoint; every failure is an OpenAI error object.</summary>
    private async Task Handle(HttpContext ctx, string endpoint, bool readBody, bool admin, Func<HttpContext, JsonElement, Task> run)
    {
        try
        {
            Authorize(ctx, admin);
            if (readBody)
            {
                using var doc = await ReadJson(ctx);
                await run(ctx, doc.RootElement);
            }
            else await run(ctx, default);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var err = e switch
            {
                BadHttpRequestException b => new OpenAiException(b.StatusCode, b.StatusCode == 413 ? $"request body larger than {_options.MaxBodyBytes} bytes" : "malformed HTTP request: " + b.Message, "invalid_request_error"),
                OperationCanceledException when ctx.RequestAborted.IsCancellationRequested => null,
                _ => OpenAiException.From(e),
            };
            if (err != null && !ctx.Response.HasStarted)
            {
                if (err.Status == 429 || err.Status == 503) ctx.Response.Headers.RetryAfter = _options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (err.Status is 408 or 413) ctx.Response.Headers.Connection = "close";
                try { await WriteJson(ctx, err.Status, OpenAiJson.Error(err)); }
                catch (Exception) when (ctx.RequestAborted.IsCancellationRequested) { }
            }
            else if (err != null && ctx.Response.ContentType == "text/event-stream")
            {
                try { await Sse(ctx, OpenAiJson.Error(err)); }
                catch (Exception) { }
            }
        }
        finally
        {
            Metrics.CountRequest(endpoint, ctx.Response.StatusCode);
        }
    }

    private void Authorize(HttpContext ctx, bool admin)
    {
        var key = admin ? _options.AdminKey ?? _options.ApiKey : _options.ApiKey;
        if (key is null) return;
        var header = ctx.Request.Headers.Authorization.ToString();
        var given = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : "";
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(key)))
            throw new OpenAiException(401, admin ? "this endpoint needs the admin key (Authorization: Bearer <admin key>)" : "missing or wrong API key (Authorization: Bearer <key>)",
                "authentication_error", null, "invalid_api_key");
    }

    /// <summary>Reads at most MaxBodyBytes within BodyTimeout and parses it as JSON.</summary>
    private async Task<JsonDocument> ReadJson(HttpContext ctx)
    {
        long max = _options.MaxBodyBytes;
        if (ctx.Request.ContentLength > max) throw new OpenAiException(413, $"request body of {ctx.Request.ContentLength} bytes exceeds the limit of {max} bytes", "invalid_request_error");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        timeout.CancelAfter(_options.BodyTimeout);
        var buffer = new ArrayBufferWriter<byte>(4096);
        try
        {
            while (true)
            {
                var mem = buffer.GetMemory(16 * 1024);
                int n = await ctx.Request.Body.ReadAsync(mem, timeout.Token);
                if (n == 0) break;
                buffer.Advance(n);
                if (buffer.WrittenCount > max) throw new OpenAiException(413, $"request body exceeds the limit of {max} bytes", "invalid_request_error");
            }
        }
        catch (OperationCanceledException) when (!ctx.RequestAborted.IsCancellationRequested)
        {
            throw new OpenAiException(408, $"the request body did not arrive within {_options.BodyTimeout.TotalSeconds:0.#} s", "invalid_request_error", null, "timeout");
        }
        if (buffer.WrittenCount == 0) throw OpenAiException.BadRequest("the request body is empty; send a JSON object");
        try
        {
            return JsonDocument.Parse(buffer.WrittenMemory, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw OpenAiException.BadRequest($"the body is not valid JSON: {e.Message}");
        }
        catch (ArgumentException e)
        {
            throw OpenAiException.BadRequest($"the body is not valid UTF-8 JSON: {e.Message}");
        }
    }

    private JsonObject Models()
    {
        var data = new JsonArray();
        foreach (var name in _engine.ServedModels())
            data.Add(new JsonObject
            {
                ["id"] = name,
                ["object"] = "model",
                ["created"] = _created,
                ["owned_by"] = "tunesharp",
                ["root"] = name,
                ["parent"] = name == _engine.ModelName ? null : _engine.ModelName,
            });
        if (_engine.Embedder is { } emb)
            data.Add(new JsonObject { ["id"] = emb.Name, ["object"] = "model", ["created"] = _created, ["owned_by"] = "tunesharp" });
        return new JsonObject { ["object"] = "list", ["data"] = data };
    }

    // ------------------------------------------------------------------ generation

    private async Task Generate(HttpContext ctx, JsonElement body, bool chat)
    {
        if (_stopping) throw new OpenAiException(503, "the server is shutting down", "server_error", null, "shutting_down");
        var call = GenerationCall.Parse(body, chat, _engine);
        var clock = Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(_options.RequestTimeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, timeout.Token);
        var seqs = new List<ScheduledSequence>();
        try
        {
            foreach (var r in call.Requests(_engine, linked.Token)) seqs.Add(_engine.Scheduler.Submit(r));
        }
        catch
        {
            linked.Cancel();
            throw;
        }
        string id = (chat ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N");
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (call.Stream) await Stream(ctx, call, seqs[0], id, created, clock, timeout.Token, linked);
        else await Complete(ctx, call, seqs, id, created, clock, timeout.Token);
    }

    private async Task Complete(HttpContext ctx, GenerationCall call, List<ScheduledSequence> seqs, string id, long created, Stopwatch clock, CancellationToken timedOut)
    {
        var choices = new JsonArray();
        int prompt = 0, completion = 0;
        for (int i = 0; i < seqs.Count; i++)
        {
            var tokens = new List<SequenceToken>();
            await foreach (var t in seqs[i].Tokens.ReadAllAsync()) tokens.Add(t);
            var res = await seqs[i].Completion;
            if (res.Cancelled)
            {
                if (timedOut.IsCancellationRequested) throw new OpenAiException(408, $"generation did not finish within {_options.RequestTimeout.TotalSeconds:0} s", "invalid_request_error", null, "timeout");
                return;
            }
            if (i == 0) Metrics.ObserveTimeToFirstToken(res.TimeToFirstToken);
            prompt += res.PromptIds.Length;
            completion += res.GeneratedIds.Length;
            JsonNode? logprobs = call.TopLogprobs is null ? null
                : call.Chat ? OpenAiJson.ChatLogprobs(tokens, _engine) : OpenAiJson.CompletionLogprobs(tokens, _engine);
            choices.Add(call.Chat
                ? new JsonObject
                {
                    ["index"] = i,
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = res.Text },
                    ["logprobs"] = logprobs,
                    ["finish_reason"] = OpenAiJson.Finish(res.FinishReason),
                }
                : new JsonObject
                {
                    ["index"] = i,
                    ["text"] = res.Text,
                    ["logprobs"] = logprobs,
                    ["finish_reason"] = OpenAiJson.Finish(res.FinishReason),
                });
        }
        Metrics.ObserveLatency(clock.Elapsed);
        await WriteJson(ctx, 200, new JsonObject
        {
            ["id"] = id,
            ["object"] = call.Chat ? "chat.completion" : "text_completion",
            ["created"] = created,
            ["model"] = call.Model,
            ["choices"] = choices,
            ["usage"] = OpenAiJson.Usage(prompt, completion),
        });
    }

    private static async Task Sse(HttpContext ctx, JsonNode chunk)
    {
        await ctx.Response.WriteAsync("data: " + OpenAiJson.Text(chunk) + "\n\n");
        await ctx.Response.Body.FlushAsync();
    }

    private async Task Stream(HttpContext ctx, GenerationCall call, ScheduledSequence seq, string id, long created, Stopwatch clock, CancellationToken timedOut, CancellationTokenSource linked)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        ctx.Response.Headers["X-Accel-Buffering"] = "no";
        string obj = call.Chat ? "chat.completion.chunk" : "text_completion";
        JsonObject Chunk(JsonObject choice, JsonNode? usage = null)
        {
            var c = new JsonObject { ["id"] = id, ["object"] = obj, ["created"] = created, ["model"] = call.Model, ["choices"] = new JsonArray(choice) };
            if (usage != null) c["usage"] = usage;
            return c;
        }
        try
        {
            if (call.Chat)
                await Sse(ctx, Chunk(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject { ["role"] = "assistant", ["content"] = "" }, ["logprobs"] = null, ["finish_reason"] = null }));
            bool first = true;
            int offset = 0;
            await foreach (var t in seq.Tokens.ReadAllAsync(ctx.RequestAborted))
            {
                if (first) { Metrics.ObserveTimeToFirstToken(clock.Elapsed); first = false; }
                if (t.Text.Length == 0 && t.Logprob is null) continue;
                JsonNode? lp = call.TopLogprobs is null ? null
                    : call.Chat ? OpenAiJson.ChatLogprobs([t], _engine) : OpenAiJson.CompletionLogprobs([t], _engine, offset);
                offset += t.Text.Length;
                await Sse(ctx, Chunk(call.Chat
                    ? new JsonObject { ["index"] = 0, ["delta"] = new JsonObject { ["content"] = t.Text }, ["logprobs"] = lp, ["finish_reason"] = null }
                    : new JsonObject { ["index"] = 0, ["text"] = t.Text, ["logprobs"] = lp, ["finish_reason"] = null }));
            }
            var res = await seq.Completion;
            if (res.Cancelled)
            {
                if (timedOut.IsCancellationRequested)
                    await Sse(ctx, OpenAiJson.Error(new OpenAiException(408, $"generation did not finish within {_options.RequestTimeout.TotalSeconds:0} s", "invalid_request_error", null, "timeout")));
                return;
            }
            var finish = OpenAiJson.Finish(res.FinishReason);
            await Sse(ctx, Chunk(call.Chat
                ? new JsonObject { ["index"] = 0, ["delta"] = new JsonObject(), ["logprobs"] = null, ["finish_reason"] = finish }
                : new JsonObject { ["index"] = 0, ["text"] = "", ["logprobs"] = null, ["finish_reason"] = finish }));
            if (call.IncludeUsage)
            {
                var u = new JsonObject { ["id"] = id, ["object"] = obj, ["created"] = created, ["model"] = call.Model, ["choices"] = new JsonArray(), ["usage"] = OpenAiJson.Usage(res.PromptIds.Length, res.GeneratedIds.Length) };
                await Sse(ctx, u);
            }
            await ctx.Response.WriteAsync("data: [DONE]\n\n");
            await ctx.Response.Body.FlushAsync();
            Metrics.ObserveLatency(clock.Elapsed);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException || ctx.RequestAborted.IsCancellationRequested)
        {
            // The client went away: cancelling frees its KV row at the next step.
            linked.Cancel();
        }
    }

    // ------------------------------------------------------------------ embeddings and adapters

    private async Task Embeddings(HttpContext ctx, JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) throw OpenAiException.BadRequest("the request body must be a JSON object");
        var model = GenerationCall.Str(body, "model") ?? throw OpenAiException.BadRequest("you must provide a model parameter", "model");
        var emb = _engine.Embedder;
        if (emb is null)
            throw OpenAiException.BadRequest($"'{model}' is served by a decoder-only causal language model, which has no sentence embeddings; serve an encoder (sentence-transformers) model for /v1/embeddings", "model");
        if (model != emb.Name && model != _engine.ModelName) throw new OpenAiException(404, $"The model '{model}' does not exist; embeddings come from '{emb.Name}'", "invalid_request_error", "model", "model_not_found");
        if (!body.TryGetProperty("input", out var input)) throw OpenAiException.BadRequest("input is required", "input");
        var texts = new List<string>();
        if (input.ValueKind == JsonValueKind.String) texts.Add(input.GetString()!);
        else if (input.ValueKind == JsonValueKind.Array && input.GetArrayLength() is > 0 and <= 2048)
            foreach (var e in input.EnumerateArray())
                texts.Add(e.ValueKind == JsonValueKind.String ? e.GetString()! : throw OpenAiException.BadRequest("input must be a string or an array of strings", "input"));
        else throw OpenAiException.BadRequest("input must be a string or an array of 1..2048 strings", "input");
        var format = GenerationCall.Str(body, "encoding_format") ?? "float";
        if (format is not ("float" or "base64")) throw OpenAiException.BadRequest("encoding_format must be float or base64", "encoding_format");
        float[][] vectors;
        int tokens;
        lock (emb)
        {
            vectors = emb.Embed(texts);
            tokens = texts.Sum(emb.CountTokens);
        }
        var data = new JsonArray();
        for (int i = 0; i < vectors.Length; i++)
        {
            JsonNode vec = format == "base64"
                ? Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vectors[i].AsSpan()))
                : new JsonArray(vectors[i].Select(x => (JsonNode)x).ToArray());
            data.Add(new JsonObject { ["object"] = "embedding", ["index"] = i, ["embedding"] = vec });
        }
        await WriteJson(ctx, 200, new JsonObject
        {
            ["object"] = "list",
            ["data"] = data,
            ["model"] = model,
            ["usage"] = new JsonObject { ["prompt_tokens"] = tokens, ["total_tokens"] = tokens },
        });
    }

    private static void CheckAdapterName(string name, string param)
    {
        if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw OpenAiException.BadRequest($"adapter name '{name}' must be 1–64 characters of letters, digits, '-', '_' or '.'", param);
    }

    private async Task LoadAdapter(HttpContext ctx, JsonElement body, string nameField, string pathField)
    {
        if (body.ValueKind != JsonValueKind.Object) throw OpenAiException.BadRequest("the request body must be a JSON object");
        var name = GenerationCall.Str(body, nameField) ?? throw OpenAiException.BadRequest($"{nameField} is required", nameField);
        var path = GenerationCall.Str(body, pathField) ?? throw OpenAiException.BadRequest($"{pathField} is required (a PEFT adapter folder on the server)", pathField);
        CheckAdapterName(name, nameField);
        if (name == _engine.ModelName) throw new OpenAiException(409, $"'{name}' is the base model's name", "invalid_request_error", nameField, "conflict");
        if (_engine.Scheduler.AdapterNames.Contains(name)) throw new OpenAiException(409, $"an adapter named '{name}' is already loaded; unload it first", "invalid_request_error", nameField, "conflict");
        if (!Directory.Exists(path)) throw OpenAiException.BadRequest($"adapter folder '{path}' not found on the server", pathField);
        try { await _engine.Scheduler.LoadAdapterAsync(path, name); }
        catch (Exception e) when (e is not OpenAiException and not OutOfMemoryException)
        {
            throw OpenAiException.BadRequest($"cannot load adapter '{name}' from '{path}': {e.Message}", pathField);
        }
        await WriteJson(ctx, 200, new JsonObject { ["name"] = name, ["status"] = "loaded" });
    }

    private async Task UnloadAdapter(HttpContext ctx, string name)
    {
        try { await _engine.Scheduler.UnloadAdapterAsync(name); }
        catch (KeyNotFoundException e) { throw new OpenAiException(404, e.Message, "invalid_request_error", "name", "adapter_not_found"); }
        catch (InvalidOperationException e) { throw new OpenAiException(409, e.Message, "invalid_request_error", "name", "conflict"); }
        await WriteJson(ctx, 200, new JsonObject { ["name"] = name, ["status"] = "unloaded" });
    }
}
