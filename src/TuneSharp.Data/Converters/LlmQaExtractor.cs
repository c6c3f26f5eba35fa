// Turns transcripts into Q/A pairs via an OpenAI-compatible chat endpoint, chunk by chunk; failures named by cause (auth, server, network).
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TuneSharp.Data.Converters;

/// <summary>
/// Splits text into chunks (on paragraph boundaries, ≤ <see cref="LlmQaExtractorOptions.ChunkChars"/>), sends each
/// to <c>POST {endpoint}/chat/completions</c> with an extraction prompt, and parses
/// <c>{"qa_pairs":[{"question":…,"answer":…}]}</c> from the reply. Replies that are not valid JSON (also inside
/// ``` fences or surrounded by prose) or lack the fields are logged through <c>log</c> and skipped — never a crash.
/// Transport failures are classified (<see cref="LlmFailureKind"/>): 401/403 and other 4xx stop at once; 5xx and
/// network failures (refused, DNS, reset, <see cref="LlmQaExtractorOptions.RequestTimeout"/>) skip the chunk, and
/// stop the run after <see cref="LlmQaExtractorOptions.MaxConsecutiveFailures"/> in a row or when every chunk failed.
/// <see cref="LlmExtractJob"/> adds appending to a JSONL file as each chunk finishes, and resuming.
/// </summary>
public sealed class LlmQaExtractor(HttpClient http, LlmQaExtractorOptions options, Action<string>? log = null)
{
    public const string DefaultSystemPrompt =
        "You extract question-answer pairs from the user's text for training a domain assistant. " +
        "Write self-contained questions a learner would ask and answers supported by the text only. " +
        "Reply with JSON only, exactly in this form: {\"qa_pairs\":[{\"question\":\"...\",\"answer\":\"...\"}]}";

    public LlmQaExtractorOptions Options => options;

    /// <summary>Extracts every chunk of <paramref name="text"/> in memory (see <see cref="LlmExtractJob"/> for a resumable file).</summary>
    public async Task<IReadOnlyList<JsonObject>> ExtractAsync(string text, string source, CancellationToken cancellationToken = default)
    {
        var rows = new List<JsonObject>();
        var chunks = Chunk(text, options.ChunkChars);
        var failures = new LlmFailureCounter(options.MaxConsecutiveFailures);
        for (int i = 0; i < chunks.Count; i++)
        {
            var result = await TryChunkAsync(chunks[i], $"{source} chunk {i + 1}/{chunks.Count}", failures, cancellationToken).ConfigureAwait(false);
            if (result is null) continue;
            foreach (var (q, a) in result) rows.Add(Row(q, a, source, null));
        }
        failures.ThrowIfAllFailed(chunks.Count);
        return rows;
    }

    /// <summary>
    /// One chunk through the failure policy: its pairs (empty when the reply held none, logged), or null when the
    /// request failed and the chunk was skipped (logged). Throws <see cref="LlmEndpointException"/> for auth/request
    /// errors and when <paramref name="failures"/> reaches its limit.
    /// </summary>
    public async Task<IReadOnlyList<(string Question, string Answer)>?> TryChunkAsync(string chunk, string where, LlmFailureCounter failures,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(failures);
        string reply;
        try
        {
            reply = await CompleteAsync(chunk, cancellationToken).ConfigureAwait(false);
        }
        catch (LlmEndpointException e) when (e.Kind is LlmFailureKind.Server or LlmFailureKind.Network)
        {
            failures.Failed(e); // throws at the limit
            log?.Invoke($"{where}: {e.Message}; skipped (a rerun retries it)");
            return null;
        }
        failures.Succeeded();
        var pairs = ParsePairs(reply, out var problem);
        if (problem != null) log?.Invoke($"{where}: {problem}; skipped");
        return pairs;
    }

    /// <summary>A training row for one pair; <paramref name="chunkId"/> ties it to its chunk for resuming.</summary>
    public static JsonObject Row(string question, string answer, string source, string? chunkId)
    {
        var row = new JsonObject { ["instruction"] = question, ["input"] = "", ["output"] = answer, ["source"] = source };
        if (chunkId != null) row["chunk_id"] = chunkId;
        return row;
    }

    /// <summary>A stable id of a chunk's text (16 hex digits of its SHA-256): the same chunk has the same id on every run.</summary>
    public static string ChunkId(string chunk) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(chunk)))[..16];

    /// <summary>The reply text of one chat completion; every failure is an <see cref="LlmEndpointException"/> naming its cause.</summary>
    public async Task<string> CompleteAsync(string chunk, CancellationToken cancellationToken)
    {
        string url = options.Endpoint.TrimEnd('/') + "/chat/completions";
        var body = new JsonObject
        {
            ["model"] = options.Model,
            ["temperature"] = options.Temperature,
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "system", ["content"] = options.SystemPrompt ?? DefaultSystemPrompt },
                new JsonObject { ["role"] = "user", ["content"] = chunk }),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (!string.IsNullOrEmpty(options.ApiKey)) request.Headers.Authorization = new("Bearer", options.ApiKey);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.RequestTimeout);
        try
        {
            using var response = await http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                string detail = await ErrorDetailAsync(response, timeout.Token).ConfigureAwait(false);
                throw StatusFailure(url, response.StatusCode, response.ReasonPhrase, detail);
            }
            JsonNode? json;
            try { json = await response.Content.ReadFromJsonAsync<JsonNode>(timeout.Token).ConfigureAwait(false); }
            catch (Exception e) when (e is JsonException or NotSupportedException)
            {
                throw new LlmEndpointException(LlmFailureKind.Server, $"{url} answered HTTP 200 with a body that is not JSON ({e.Message.Split('.')[0]}): a server error", e);
            }
            return (json?["choices"]?[0]?["message"]?["content"] as JsonValue)?.TryGetValue<string>(out var content) == true
                ? content
                : throw new LlmEndpointException(LlmFailureKind.Server, $"{url} answered without choices[0].message.content: not an OpenAI-compatible chat completion (check --endpoint)");
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            // Our timeout fired (or HttpClient's own Timeout): the endpoint stalled.
            throw new LlmEndpointException(LlmFailureKind.Network,
                $"no reply from {url} within {options.RequestTimeout.TotalSeconds:0.#} s (--request-timeout): a network timeout, the endpoint stalled", e);
        }
        catch (HttpRequestException e)
        {
            throw new LlmEndpointException(LlmFailureKind.Network, $"cannot reach {url}: {Scrub(Describe(e))} (a network error: is the server running, and the URL and port right?)", e);
        }
    }

    private LlmEndpointException StatusFailure(string url, HttpStatusCode status, string? reason, string detail)
    {
        int code = (int)status;
        string what = $"{url} answered HTTP {code} {reason}{(detail.Length > 0 ? $" ({detail})" : "")}";
        if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            string key = string.IsNullOrEmpty(options.ApiKey)
                ? "no API key was sent (--api-key-env was empty); name the variable holding the key with --api-key-env NAME"
                : $"check the API key in the environment variable {options.ApiKeyEnv ?? "given"} (--api-key-env) and its access to model '{options.Model}'";
            return new LlmEndpointException(LlmFailureKind.Auth, $"{what}: an authentication error, not a problem with the input; {key}");
        }
        if (code >= 500 || status == HttpStatusCode.TooManyRequests)
            return new LlmEndpointException(LlmFailureKind.Server, $"{what}: {(code >= 500 ? "a server error" : "rate limited")}, not a problem with the input");
        return new LlmEndpointException(LlmFailureKind.Request,
            $"{what}: the endpoint refused the request; check --endpoint (an OpenAI-compatible /v1 base URL) and --llm-model '{options.Model}'");
    }

    // The "error.message" of an OpenAI-style error body (or its first 200 characters), with the key scrubbed out.
    private async Task<string> ErrorDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text;
        try { text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false); }
        catch (HttpRequestException) { return ""; }
        try
        {
            if (JsonNode.Parse(text)?["error"]?["message"] is JsonValue m && m.TryGetValue<string>(out var msg)) text = msg;
        }
        catch (JsonException) { }
        text = text.ReplaceLineEndings(" ").Trim();
        return Scrub(text.Length > 200 ? text[..200] + "…" : text);
    }

    private string Scrub(string text) =>
        string.IsNullOrEmpty(options.ApiKey) ? text : text.Replace(options.ApiKey, "***", StringComparison.Ordinal);

    private static string Describe(HttpRequestException e) => e.InnerException switch
    {
        SocketException s => $"{s.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused",
            SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host name not found (DNS)",
            SocketError.TimedOut => "connection timed out",
            SocketError.ConnectionReset => "connection reset",
            var other => other.ToString(),
        }} ({e.Message})",
        _ => e.Message,
    };

    /// <summary>Parses Q/A pairs from a model reply; sets <paramref name="problem"/> when nothing usable was found.</summary>
    public static IReadOnlyList<(string Question, string Answer)> ParsePairs(string reply, out string? problem)
    {
        problem = null;
        var result = new List<(string, string)>();
        var json = ExtractJsonObject(reply);
        if (json is null) { problem = "reply holds no JSON object"; return result; }
        JsonNode? root;
        try { root = JsonNode.Parse(json); }
        catch (JsonException e) { problem = $"invalid JSON ({e.Message.Split('.')[0]})"; return result; }
        if (root?["qa_pairs"] is not JsonArray array) { problem = "JSON has no \"qa_pairs\" array"; return result; }
        int skipped = 0;
        foreach (var item in array)
        {
            var q = (item?["question"] as JsonValue)?.TryGetValue<string>(out var qs) == true ? qs.Trim() : null;
            var a = (item?["answer"] as JsonValue)?.TryGetValue<string>(out var s) == true ? s.Trim() : null;
            if (string.IsNullOrEmpty(q) || string.IsNullOrEmpty(a)) { skipped++; continue; }
            result.Add((q, a));
        }
        if (skipped > 0) problem = $"{skipped} pair(s) without a question or answer string";
        return result;
    }

    // The first balanced {...} in the text, honouring strings; tolerates ```json fences and prose around it.
    private static string? ExtractJsonObject(string text)
    {
        int start = text.IndexOf('{');
        while (start >= 0)
        {
            int depth = 0; bool inString = false, escape = false;
            for (int i = start; i < text.Length; i++)
            {
                char c = text[i];
                if (inString)
                {
                    if (escape) escape = false;
                    else if (c == '\\') escape = true;
                    else if (c == '"') inString = false;
                    continue;
                }
                if (c == '"') inString = true;
                else if (c == '{') depth++;
                else if (c == '}' && --depth == 0) return text[start..(i + 1)];
            }
            start = text.IndexOf('{', start + 1);
        }
        return null;
    }

    /// <summary>Splits text on blank lines into chunks of at most <paramref name="maxChars"/> (long paragraphs are cut).</summary>
    public static IReadOnlyList<string> Chunk(string text, int maxChars)
    {
        var chunks = new List<string>();
        var current = new StringBuilder();
        foreach (var paragraph in text.Replace("\r\n", "\n").Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            for (int offset = 0; offset < paragraph.Length; offset += maxChars)
            {
                var piece = paragraph.Substring(offset, Math.Min(maxChars, paragraph.Length - offset));
                if (current.Length > 0 && current.Length + piece.Length + 2 > maxChars)
                {
                    chunks.Add(current.ToString());
                    current.Clear();
                }
                if (current.Length > 0) current.Append("\n\n");
                current.Append(piece);
            }
        }
        if (current.Length > 0) chunks.Add(current.ToString());
        return chunks;
    }
}
