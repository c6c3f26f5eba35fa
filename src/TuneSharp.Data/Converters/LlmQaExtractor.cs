// Turns transcripts into Q/A pairs by asking an OpenAI-compatible chat endpoint, chunk by chunk; robust to bad JSON.
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TuneSharp.Data.Converters;

/// <summary>
/// Splits text into chunks (on paragraph boundaries, ≤ <see cref="LlmQaExtractorOptions.ChunkChars"/>), sends each
/// to <c>POST {endpoint}/chat/completions</c> with an extraction prompt, and parses
/// <c>{"qa_pairs":[{"question":…,"answer":…}]}</c> from the reply. Replies that are not valid JSON (also inside
/// ``` fences or surrounded by prose) or lack the fields are logged through <c>log</c> and skipped — never a crash.
/// </summary>
public sealed class LlmQaExtractor(HttpClient http, LlmQaExtractorOptions options, Action<string>? log = null)
{
    public const string DefaultSystemPrompt =
        "You extract question-answer pairs from the user's text for training a domain assistant. " +
        "Write self-contained questions a learner would ask and answers supported by the text only. " +
        "Reply with JSON only, exactly in this form: {\"qa_pairs\":[{\"question\":\"...\",\"answer\":\"...\"}]}";

    public async Task<IReadOnlyList<JsonObject>> ExtractAsync(string text, string source, CancellationToken cancellationToken = default)
    {
        var rows = new List<JsonObject>();
        var chunks = Chunk(text, options.ChunkChars);
        for (int i = 0; i < chunks.Count; i++)
        {
            string reply;
            try
            {
                reply = await CompleteAsync(chunks[i], cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                log?.Invoke($"{source} chunk {i + 1}/{chunks.Count}: request failed ({e.Message}); skipped");
                continue;
            }
            var pairs = ParsePairs(reply, out var problem);
            if (problem != null) log?.Invoke($"{source} chunk {i + 1}/{chunks.Count}: {problem}; skipped");
            foreach (var (q, a) in pairs)
                rows.Add(new JsonObject { ["instruction"] = q, ["input"] = "", ["output"] = a, ["source"] = source });
        }
        return rows;
    }

    private async Task<string> CompleteAsync(string chunk, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["model"] = options.Model,
            ["temperature"] = options.Temperature,
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "system", ["content"] = options.SystemPrompt ?? DefaultSystemPrompt },
                new JsonObject { ["role"] = "user", ["content"] = chunk }),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, options.Endpoint.TrimEnd('/') + "/chat/completions")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (!string.IsNullOrEmpty(options.ApiKey)) request.Headers.Authorization = new("Bearer", options.ApiKey);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
        var json = await response.Content.ReadFromJsonAsync<JsonNode>(cancellationToken).ConfigureAwait(false);
        return json?["choices"]?[0]?["message"]?["content"]?.GetValue<string>()
            ?? throw new InvalidOperationException("reply has no choices[0].message.content");
    }

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
