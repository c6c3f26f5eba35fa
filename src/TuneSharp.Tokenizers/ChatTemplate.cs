// Hugging Face chat templates: load from tokenizer_config.json / chat_template.jinja, render conversations (as transformers' apply_chat_template
// passes messages, add_generation_prompt, bos/eos tokens and extra variables), and locate assistant turns for prompt masking.
using System.Text.Json;
using TuneSharp.Tokenizers.Jinja;

namespace TuneSharp.Tokenizers;

public sealed class ChatTemplate
{
    // End-of-turn markers of common templates, used only to tidy spans derived by prefix rendering.
    private static readonly string[] KnownEndMarkers = ["<|eot_id|>", "<|im_end|>", "<end_of_turn>", "<|end|>", "<|endoftext|>", "<|end_of_text|>", "</s>", "<eos>"];

    private readonly JinjaTemplate _template;

    /// <summary>Parses a template string; bos/eos are the defaults passed to every render (throws TemplateException on syntax errors).</summary>
    public ChatTemplate(string template, string? bosToken = null, string? eosToken = null, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        _template = JinjaTemplate.Parse(template, sourceName);
        BosToken = bosToken;
        EosToken = eosToken;
        SourceName = sourceName;
    }

    public string Source => _template.Source;
    public string? BosToken { get; }
    public string? EosToken { get; }
    /// <summary>Where the template came from (file path), for messages.</summary>
    public string? SourceName { get; }
    /// <summary>True when the template marks assistant text with `{% generation %}` blocks.</summary>
    public bool HasGenerationBlocks => _template.HasGenerationBlocks;

    /// <summary>Loads from a tokenizer directory: chat_template.jinja when present (newer repos), else tokenizer_config.json's chat_template.</summary>
    public static ChatTemplate FromDirectory(string directory, string? templateName = null) =>
        TryFromDirectory(directory, templateName)
        ?? throw new TokenizerFormatException("no chat template: neither chat_template.jinja nor a chat_template field in tokenizer_config.json. "
            + "Set tokenizer.chat_template (a .jinja file or the template text) or use a non-chat format", directory);

    /// <summary>
    /// The folder's chat template, or null when it has none (no chat_template.jinja, no tokenizer_config.json or no
    /// chat_template field in it). A template that is present but malformed still throws (TokenizerFormatException,
    /// TemplateException): a broken template is an error, not an absent one.
    /// </summary>
    public static ChatTemplate? TryFromDirectory(string directory, string? templateName = null)
    {
        if (!Directory.Exists(directory)) throw new TokenizerFormatException("tokenizer folder not found", directory);
        var config = Path.Combine(directory, "tokenizer_config.json");
        var jinja = Path.Combine(directory, "chat_template.jinja");
        if (File.Exists(config))
        {
            if (!File.Exists(jinja) || templateName is not (null or "default"))
            {
                using var doc = ParseConfig(config);
                if (!doc.RootElement.TryGetProperty("chat_template", out var ct) || ct.ValueKind == JsonValueKind.Null) return null;
            }
            return FromTokenizerConfig(config, templateName);
        }
        if (File.Exists(jinja) && templateName is null or "default") return new ChatTemplate(File.ReadAllText(jinja), sourceName: jinja);
        return null;
    }

    private static JsonDocument ParseConfig(string path)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException ex) { throw new TokenizerFormatException($"invalid JSON ({ex.Message})", path, "$", ex); }
        if (doc.RootElement.ValueKind == JsonValueKind.Object) return doc;
        doc.Dispose();
        throw new TokenizerFormatException("expected a JSON object", path, "$");
    }

    /// <summary>Loads tokenizer_config.json: chat_template as a string or a list of {name, template} ("default" unless named); bos/eos tokens as strings or {content}.</summary>
    public static ChatTemplate FromTokenizerConfig(string path, string? templateName = null)
    {
        // System.Text.Json reports an undecodable string (a lone "\ud800" escape) only when it is read.
        try { return FromTokenizerConfigCore(path, templateName); }
        catch (InvalidOperationException e) { throw new TokenizerFormatException($"a JSON string cannot be decoded ({e.Message}); the file is damaged", path, null, e); }
    }

    private static ChatTemplate FromTokenizerConfigCore(string path, string? templateName)
    {
        if (!File.Exists(path)) throw new TokenizerFormatException("tokenizer_config.json not found", path);
        using (var doc = ParseConfig(path))
        {
            var root = doc.RootElement;
            string? bos = TokenString(root, "bos_token", path);
            string? eos = TokenString(root, "eos_token", path);
            var jinja = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "chat_template.jinja");
            if (File.Exists(jinja) && templateName is null or "default")
                return new ChatTemplate(File.ReadAllText(jinja), bos, eos, jinja);
            if (!root.TryGetProperty("chat_template", out var ct) || ct.ValueKind == JsonValueKind.Null)
                throw new TokenizerFormatException("no chat_template field (and no chat_template.jinja beside it)", path, "$.chat_template");
            string template = SelectTemplate(ct, templateName, path);
            return new ChatTemplate(template, bos, eos, path);
        }
    }

    private static string SelectTemplate(JsonElement ct, string? name, string path)
    {
        if (ct.ValueKind == JsonValueKind.String)
        {
            if (name is not (null or "default")) throw new TokenizerFormatException($"chat_template is a single template, no template named '{name}'", path, "$.chat_template");
            return ct.GetString()!;
        }
        if (ct.ValueKind != JsonValueKind.Array) throw new TokenizerFormatException("chat_template must be a string or a list of {name, template}", path, "$.chat_template");
        var named = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in ct.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String
                || !item.TryGetProperty("template", out var t) || t.ValueKind != JsonValueKind.String)
                throw new TokenizerFormatException("chat_template list entries must be {\"name\": string, \"template\": string}", path, "$.chat_template");
            named[n.GetString()!] = t.GetString()!;
        }
        string wanted = name ?? "default";
        if (named.TryGetValue(wanted, out var template)) return template;
        throw new TokenizerFormatException($"chat_template has no template named '{wanted}' (available: {string.Join(", ", named.Keys)})", path, "$.chat_template");
    }

    private static string? TokenString(JsonElement root, string field, string path)
    {
        if (!root.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind == JsonValueKind.String) return v.GetString();
        if (v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String) return c.GetString();
        throw new TokenizerFormatException($"{field} must be a string or an object with \"content\"", path, "$." + field);
    }

    /// <summary>
    /// Renders a conversation. messages: role/content dictionaries (IDictionary, JsonElement, JsonNode or JinjaValue; content may be a string or
    /// a list of {type, text} parts; tool_calls etc. pass through). extraVariables: e.g. tools, date_string, enable_thinking.
    /// bosToken/eosToken default to the ones loaded from the tokenizer config.
    /// </summary>
    public string Render(IEnumerable<object?> messages, bool addGenerationPrompt = false, string? bosToken = null, string? eosToken = null,
        IReadOnlyDictionary<string, object?>? extraVariables = null)
    {
        var list = ToMessageList(messages);
        return _template.Render(Variables(list, addGenerationPrompt, bosToken, eosToken, extraVariables));
    }

    /// <summary>
    /// Renders and returns the character spans of every assistant turn (its content plus end-of-turn marker): from `{% generation %}` blocks when the
    /// template has them, otherwise derived by rendering prefixes (messages[:i] with the generation prompt vs messages[:i+1]) against the full text.
    /// </summary>
    public ChatTemplateRendering RenderWithAssistantSpans(IEnumerable<object?> messages, bool addGenerationPrompt = false, string? bosToken = null,
        string? eosToken = null, IReadOnlyDictionary<string, object?>? extraVariables = null)
    {
        var list = ToMessageList(messages);
        var assistantIndexes = Enumerable.Range(0, list.Count).Where(i => Role(list[i]) == "assistant").ToList();
        if (HasGenerationBlocks)
        {
            var result = _template.RenderWithGenerationSpans(Variables(list, addGenerationPrompt, bosToken, eosToken, extraVariables));
            var gen = result.GenerationSpans;
            // One block per assistant message is the norm; then each span is attributed to its message.
            var spans = gen.Select((s, k) => new ChatTemplateSpan(s.Start, s.End, gen.Count == assistantIndexes.Count ? assistantIndexes[k] : -1)).ToList();
            return new ChatTemplateRendering(result.Text, spans, FromGenerationBlocks: true);
        }

        string Rend(int count, bool gen) => _template.Render(Variables(list.GetRange(0, count), gen, bosToken, eosToken, extraVariables));
        string full = Rend(list.Count, addGenerationPrompt);
        var derived = new List<ChatTemplateSpan>();
        int previousEnd = 0;
        foreach (int i in assistantIndexes)
        {
            string prompt = Rend(i, true);
            string withTurn = Rend(i + 1, false);
            int start = Math.Max(CommonPrefix(prompt, full), previousEnd);
            int end = Math.Min(CommonPrefix(withTurn, full), full.Length);
            if (end <= start) end = LocateByContent(list[i], full, withTurn, prompt.Length, start, i);
            end = TidyEnd(full, start, end);
            if (end > start)
            {
                derived.Add(new ChatTemplateSpan(start, end, i));
                previousEnd = end;
            }
        }
        return new ChatTemplateRendering(full, derived, FromGenerationBlocks: false);
    }

    /// <summary>Fallback when the template renders a turn differently once later turns exist (e.g. Qwen3 drops reasoning): find the content, then the marker after it.</summary>
    private int LocateByContent(JinjaValue message, string full, string withTurn, int promptLength, int start, int index)
    {
        var raw = message.IsDict && message.AsDict.TryGetValue("content", out var c) && c.IsString ? c.AsString : "";
        // Candidates: the whole content, then the answer after a reasoning block (templates that drop past reasoning).
        var candidates = new List<string> { JsTrim(raw) };
        int think = raw.LastIndexOf("</think>", StringComparison.Ordinal);
        if (think >= 0) candidates.Add(JsTrim(raw[(think + "</think>".Length)..]));
        foreach (var content in candidates.Where(x => x.Length > 0))
        {
            int at = full.IndexOf(content, start, StringComparison.Ordinal);
            int inTurn = withTurn.IndexOf(content, Math.Min(promptLength, withTurn.Length), StringComparison.Ordinal);
            if (at >= 0)
            {
                int end = at + content.Length;
                if (inTurn >= 0) end += CommonPrefix(withTurn.AsSpan(inTurn + content.Length), full.AsSpan(end));
                return end;
            }
        }
        throw new ChatTemplateException($"Cannot locate assistant message {index} in the rendered conversation{(SourceName is null ? "" : $" ({SourceName})")}; add {{% generation %}} blocks to the template");
    }

    /// <summary>Drops trailing whitespace, and a dangling start of the next turn's header after an end-of-turn marker (templates that always append a header).</summary>
    private int TidyEnd(string full, int start, int end)
    {
        while (end > start && char.IsWhiteSpace(full[end - 1])) end--;
        var span = full.AsSpan(start, end - start);
        int markerEnd = -1;
        foreach (var marker in KnownEndMarkers.Append(EosToken).OfType<string>().Where(m => m.Length > 0))
        {
            int at = span.LastIndexOf(marker.AsSpan(), StringComparison.Ordinal);
            if (at >= 0) markerEnd = Math.Max(markerEnd, at + marker.Length);
        }
        if (markerEnd < 0 || markerEnd == span.Length) return end;
        var tail = span[markerEnd..].Trim();
        if (tail.Length == 0) return start + markerEnd;
        // The tail is header text when the same text introduced this assistant turn.
        var header = full.AsSpan(Math.Max(0, start - 200), Math.Min(start, 200));
        return header.IndexOf(tail, StringComparison.Ordinal) >= 0 ? start + markerEnd : end;
    }

    private static string JsTrim(string s) => JsText.Trim(s);

    private static int CommonPrefix(ReadOnlySpan<char> a, ReadOnlySpan<char> b) => a.CommonPrefixLength(b);

    private static string? Role(JinjaValue message) =>
        message.IsDict && message.AsDict.TryGetValue("role", out var r) && r.IsString ? r.AsString : null;

    private static List<JinjaValue> ToMessageList(IEnumerable<object?> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = new List<JinjaValue>();
        int i = 0;
        foreach (var m in messages)
        {
            var v = JinjaValue.FromObject(m);
            if (!v.IsDict) throw new ArgumentException($"messages[{i}] must be a dictionary with role/content, got {v.Kind}", nameof(messages));
            list.Add(v);
            i++;
        }
        return list;
    }

    private Dictionary<string, JinjaValue> Variables(List<JinjaValue> messages, bool addGenerationPrompt, string? bos, string? eos,
        IReadOnlyDictionary<string, object?>? extra)
    {
        var vars = new Dictionary<string, JinjaValue>(StringComparer.Ordinal)
        {
            // A fresh list per render: templates may rebind or (with extensions) mutate it.
            ["messages"] = JinjaValue.FromList([.. messages]),
            ["add_generation_prompt"] = JinjaValue.FromBool(addGenerationPrompt),
        };
        if ((bos ?? BosToken) is string b) vars["bos_token"] = JinjaValue.FromString(b);
        if ((eos ?? EosToken) is string e) vars["eos_token"] = JinjaValue.FromString(e);
        if (extra != null)
            foreach (var (k, v) in extra) vars[k] = JinjaValue.FromObject(v);
        return vars;
    }

    /// <summary>Parses a messages file: a JSON array of messages, or an object with "messages" (and optional "tools", other variables).</summary>
    public static (List<object?> Messages, Dictionary<string, object?> Variables) ParseConversationJson(string json, string sourceName = "messages")
    {
        JinjaValue root;
        try { root = JinjaValue.FromJson(json); }
        catch (JsonException ex) { throw new TokenizerFormatException($"invalid JSON ({ex.Message})", sourceName, "$", ex); }
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal);
        JinjaValue messages;
        if (root.IsList) messages = root;
        else if (root.IsDict && root.AsDict.TryGetValue("messages", out var m) && m.IsList)
        {
            messages = m;
            foreach (var kv in root.AsDict) if (kv.Key != "messages") variables[kv.Key] = kv.Value;
        }
        else throw new TokenizerFormatException("expected a JSON array of messages or an object with a \"messages\" array", sourceName, "$");
        for (int i = 0; i < messages.AsList.Count; i++)
            if (!messages.AsList[i].IsDict) throw new TokenizerFormatException("each message must be an object with role and content", sourceName, $"$.messages[{i}]");
        return (messages.AsList.Cast<object?>().ToList(), variables);
    }
}
