// A validated /v1/chat/completions or /v1/completions request, parsed from its JSON with OpenAI's field names and ranges.
using System.Text.Json;
using TuneSharp.Inference;
using TuneSharp.Inference.Constrained;
using TuneSharp.Inference.Scheduling;

namespace TuneSharp.Serving;

/// <summary>
/// Every field is type- and range-checked (wrong type, negative or out-of-range values → 400 naming the field). Defaults
/// follow OpenAI: temperature 1, top_p 1, completions max_tokens 16, chat max_tokens = what the context leaves.
/// Extensions as vLLM: top_k (0 or −1 = off), min_p, repetition_penalty.
/// </summary>
public sealed record GenerationCall
{
    public required bool Chat { get; init; }
    public required string Model { get; init; }
    public string? Adapter { get; init; }
    public required IReadOnlyList<int[]> Prompts { get; init; }
    public required GenerationOptions Options { get; init; }
    public int? TopLogprobs { get; init; }
    public bool Stream { get; init; }
    public bool IncludeUsage { get; init; }

    /// <summary>vLLM extension ignore_eos: generate max_tokens regardless of EOS (benchmarks).</summary>
    public bool IgnoreEos { get; init; }

    /// <summary>"json_object", "json_schema" or null (free text).</summary>
    public string? Format { get; init; }
    public JsonElement? Schema { get; init; }

    /// <summary>One scheduler request per prompt, each with its own JSON constraint.</summary>
    public IEnumerable<SequenceRequest> Requests(ServingEngine engine, CancellationToken ct) =>
        Prompts.Select(p => new SequenceRequest(p, Options)
        {
            TopLogprobs = TopLogprobs,
            IgnoreEos = IgnoreEos,
            CancellationToken = ct,
            Constraint = Format switch
            {
                "json_object" => JsonConstraint.JsonObject(engine.Tokenizer),
                "json_schema" => JsonConstraint.FromSchema(engine.Tokenizer, Schema!.Value),
                _ => null,
            },
        });

    public static GenerationCall Parse(JsonElement root, bool chat, ServingEngine engine)
    {
        try { return ParseChecked(root, chat, engine); }
        catch (Exception e) when (e is not (OpenAiException or InvalidRequestException or OutOfMemoryException))
        {
            // Everything parsing touches comes from the request (a lone UTF-16 surrogate escape that cannot become a
            // string, text the tokenizer or template rejects): a client error, not a server fault.
            throw Bad($"the request cannot be processed: {e.Message}", null);
        }
    }

    private static GenerationCall ParseChecked(JsonElement root, bool chat, ServingEngine engine)
    {
        if (root.ValueKind != JsonValueKind.Object) throw Bad("the request body must be a JSON object", null);
        var model = Str(root, "model") ?? throw Bad("you must provide a model parameter", "model");
        var adapter = engine.ResolveAdapter(model);
        var prompts = new List<int[]>();
        if (chat) prompts.Add(engine.EncodeChat(Messages(root)));
        else prompts.AddRange(CompletionPrompts(root, engine));
        if (chat && root.TryGetProperty("n", out var nEl) && nEl.ValueKind != JsonValueKind.Null && Int(root, "n", 1, 1) != 1) throw Bad("only n = 1 is supported", "n");
        if (!chat)
        {
            if (Bool(root, "echo") == true) throw Bad("echo is not supported", "echo");
            if (root.TryGetProperty("suffix", out var sfx) && sfx.ValueKind != JsonValueKind.Null) throw Bad("suffix is not supported", "suffix");
            if (Int(root, "best_of", 1, 1) is not (null or 1)) throw Bad("only best_of = 1 is supported", "best_of");
            if (Int(root, "n", 1, 1) is not (null or 1)) throw Bad("only n = 1 is supported", "n");
        }
        int? maxTokens = Int(root, "max_completion_tokens", 1, int.MaxValue) ?? Int(root, "max_tokens", 1, int.MaxValue);
        int context = engine.Scheduler.MaxContext, longest = prompts.Max(p => p.Length);
        int maxNew = maxTokens ?? (chat ? Math.Max(1, context - longest) : 16);
        var stop = Stops(root);
        float temperature = Num(root, "temperature", 0, 2) ?? 1f;
        int? topK = Int(root, "top_k", -1, int.MaxValue);
        var options = new GenerationOptions
        {
            MaxNewTokens = maxNew,
            Temperature = temperature,
            TopP = Num(root, "top_p", 0, 1, exclusiveMin: true) ?? 1f,
            TopK = topK is null or -1 ? 0 : topK.Value,
            MinP = Num(root, "min_p", 0, 1) ?? 0f,
            RepetitionPenalty = Num(root, "repetition_penalty", 0, 100, exclusiveMin: true) ?? 1f,
            PresencePenalty = Num(root, "presence_penalty", -2, 2) ?? 0f,
            FrequencyPenalty = Num(root, "frequency_penalty", -2, 2) ?? 0f,
            Seed = Int(root, "seed", int.MinValue, int.MaxValue),
            StopStrings = stop,
            Adapter = adapter,
            SkipSpecialTokens = true,
        };
        int? top = null;
        if (chat)
        {
            bool lp = Bool(root, "logprobs") ?? false;
            int? tl = Int(root, "top_logprobs", 0, 20);
            if (tl != null && !lp) throw Bad("top_logprobs needs logprobs: true", "top_logprobs");
            if (lp) top = tl ?? 0;
        }
        else top = Int(root, "logprobs", 0, 5);
        bool stream = Bool(root, "stream") ?? false;
        bool usage = false;
        if (root.TryGetProperty("stream_options", out var so) && so.ValueKind != JsonValueKind.Null)
        {
            if (so.ValueKind != JsonValueKind.Object) throw Bad("stream_options must be an object", "stream_options");
            usage = Bool(so, "include_usage", "stream_options.include_usage") ?? false;
        }
        if (stream && prompts.Count > 1) throw Bad("streaming takes one prompt per request", "prompt");
        var (format, schema) = ResponseFormat(root, engine);
        return new GenerationCall
        {
            Chat = chat, Model = model, Adapter = adapter, Prompts = prompts, Options = options, TopLogprobs = top,
            Stream = stream, IncludeUsage = usage, Format = format, Schema = schema, IgnoreEos = Bool(root, "ignore_eos") ?? false,
        };
    }

    private static List<Dictionary<string, object?>> Messages(JsonElement root)
    {
        if (!root.TryGetProperty("messages", out var msgs) || msgs.ValueKind != JsonValueKind.Array || msgs.GetArrayLength() == 0)
            throw Bad("messages must be a non-empty array of {role, content} objects", "messages");
        var list = new List<Dictionary<string, object?>>();
        int i = 0;
        foreach (var m in msgs.EnumerateArray())
        {
            string at = $"messages[{i++}]";
            if (m.ValueKind != JsonValueKind.Object) throw Bad($"{at} must be an object", at);
            var role = Str(m, "role", at + ".role") ?? throw Bad($"{at}.role is required", at + ".role");
            if (role is not ("system" or "developer" or "user" or "assistant" or "tool")) throw Bad($"{at}.role '{role}' is not one of system, developer, user, assistant, tool", at + ".role");
            if (role == "developer") role = "system";
            string content = "";
            if (m.TryGetProperty("content", out var c))
            {
                if (c.ValueKind == JsonValueKind.String) content = c.GetString()!;
                else if (c.ValueKind == JsonValueKind.Array)
                {
                    var parts = new System.Text.StringBuilder();
                    foreach (var part in c.EnumerateArray())
                    {
                        if (part.ValueKind != JsonValueKind.Object || Str(part, "type", at + ".content.type") != "text")
                            throw Bad($"{at}.content: only text parts ({{\"type\": \"text\", \"text\": …}}) are supported", at + ".content");
                        parts.Append(Str(part, "text", at + ".content.text") ?? throw Bad($"{at}.content part lacks text", at + ".content"));
                    }
                    content = parts.ToString();
                }
                else if (c.ValueKind != JsonValueKind.Null) throw Bad($"{at}.content must be a string, an array of text parts or null", at + ".content");
            }
            list.Add(new Dictionary<string, object?> { ["role"] = role, ["content"] = content });
        }
        return list;
    }

    private static IEnumerable<int[]> CompletionPrompts(JsonElement root, ServingEngine engine)
    {
        if (!root.TryGetProperty("prompt", out var p)) throw Bad("prompt is required", "prompt");
        switch (p.ValueKind)
        {
            case JsonValueKind.String:
                return [engine.EncodePrompt(p.GetString()!)];
            case JsonValueKind.Array when p.GetArrayLength() > 0:
                var first = p[0];
                if (first.ValueKind == JsonValueKind.Number) return [Ids(p, "prompt")];
                var list = new List<int[]>();
                int i = 0;
                foreach (var e in p.EnumerateArray())
                {
                    if (list.Count >= 64) throw Bad("at most 64 prompts per request", "prompt");
                    list.Add(e.ValueKind switch
                    {
                        JsonValueKind.String => engine.EncodePrompt(e.GetString()!),
                        JsonValueKind.Array => Ids(e, $"prompt[{i}]"),
                        _ => throw Bad($"prompt[{i}] must be a string or an array of token ids", "prompt"),
                    });
                    i++;
                }
                return list;
            default:
                throw Bad("prompt must be a string, an array of strings, an array of token ids or an array of such arrays", "prompt");
        }
    }

    private static int[] Ids(JsonElement a, string at)
    {
        var ids = new int[a.GetArrayLength()];
        int i = 0;
        foreach (var e in a.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int id) || id < 0) throw Bad($"{at}[{i}] must be a non-negative integer token id", "prompt");
            ids[i++] = id;
        }
        if (ids.Length == 0) throw Bad($"{at} is empty", "prompt");
        return ids;
    }

    private static IReadOnlyList<string> Stops(JsonElement root)
    {
        if (!root.TryGetProperty("stop", out var s) || s.ValueKind == JsonValueKind.Null) return [];
        if (s.ValueKind == JsonValueKind.String) return s.GetString() is { Length: > 0 } one ? [one] : throw Bad("stop strings must not be empty", "stop");
        if (s.ValueKind != JsonValueKind.Array || s.GetArrayLength() > 4) throw Bad("stop must be a string or an array of up to 4 strings", "stop");
        var list = new List<string>();
        foreach (var e in s.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.String || e.GetString() is not { Length: > 0 } t) throw Bad("stop must hold non-empty strings", "stop");
            list.Add(t);
        }
        return list;
    }

    private static (string?, JsonElement?) ResponseFormat(JsonElement root, ServingEngine engine)
    {
        if (!root.TryGetProperty("response_format", out var rf) || rf.ValueKind == JsonValueKind.Null) return (null, null);
        if (rf.ValueKind != JsonValueKind.Object) throw Bad("response_format must be an object", "response_format");
        var type = Str(rf, "type", "response_format.type");
        switch (type)
        {
            case "text": return (null, null);
            case "json_object":
                CheckExpressible(JsonConstraint.JsonObject(engine.Tokenizer));
                return ("json_object", null);
            case "json_schema":
                if (!rf.TryGetProperty("json_schema", out var js) || js.ValueKind != JsonValueKind.Object)
                    throw Bad("response_format json_schema needs a json_schema object with a schema", "response_format");
                if (!js.TryGetProperty("schema", out var schema) || schema.ValueKind != JsonValueKind.Object)
                    throw Bad("response_format.json_schema.schema must be a JSON Schema object", "response_format");
                var clone = schema.Clone();
                // Compile once now so a bad schema is a 400 before anything is queued.
                CheckExpressible(JsonConstraint.FromSchema(engine.Tokenizer, clone));
                return ("json_schema", clone);
            default:
                throw Bad($"response_format.type '{type}' is not one of text, json_object, json_schema", "response_format");
        }
    }

    private static void CheckExpressible(JsonConstraint c)
    {
        if (!c.CanBegin())
            throw Bad("this model's tokenizer cannot write the start of the requested JSON value (e.g. it has no '{' token); response_format needs a tokenizer with byte fallback or JSON punctuation", "response_format");
    }

    internal static string? Str(JsonElement o, string name, string? param = null)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw Bad($"{param ?? name} must be a string", param ?? name);
    }

    private static bool? Bool(JsonElement o, string name, string? param = null)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Bad($"{param ?? name} must be a boolean", param ?? name),
        };
    }

    private static int? Int(JsonElement o, string name, int min, int max)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long x)) throw Bad($"{name} must be an integer", name);
        if (x < min || x > max) throw Bad($"{name} must be in [{min}, {max}], got {x}", name);
        return (int)x;
    }

    private static float? Num(JsonElement o, string name, double min, double max, bool exclusiveMin = false)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double x) || !double.IsFinite(x)) throw Bad($"{name} must be a number", name);
        if (x < min || x > max || (exclusiveMin && x <= min)) throw Bad($"{name} must be in {(exclusiveMin ? "(" : "[")}{min}, {max}], got {x}", name);
        return (float)x;
    }

    private static OpenAiException Bad(string message, string? param) => OpenAiException.BadRequest(message, param);
}
