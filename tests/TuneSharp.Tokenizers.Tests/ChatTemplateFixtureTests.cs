// Every chat template in shared/assets (and our generation-block template) × every conversation in conversations.json, with and without the
// generation prompt, compared byte for byte with @huggingface/jinja's output or expected error (tests/golden/chat_templates/chat_template_fixtures.json).
using System.Text.Json;
using TuneSharp.Tokenizers.Jinja;

namespace TuneSharp.Tokenizers.Tests;

public sealed class ChatTemplateFixtureTests
{
    private sealed record Fixture(Dictionary<string, (string Path, string? Bos, string? Eos)> Templates, Dictionary<string, JsonElement> Conversations, List<JsonElement> Cases);

    private static readonly Lazy<Fixture> Data = new(() =>
    {
        using var doc = JinjaFixtureSupport.Load("chat_template_fixtures.json");
        using var convs = JinjaFixtureSupport.Load("conversations.json");
        var root = doc.RootElement;
        static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var templates = root.GetProperty("templates").EnumerateArray()
            .ToDictionary(t => t.GetProperty("name").GetString()!, t => (t.GetProperty("path").GetString()!, Str(t, "bos_token"), Str(t, "eos_token")));
        var conversations = convs.RootElement.EnumerateArray().ToDictionary(c => c.GetProperty("id").GetString()!, c => c.Clone());
        var cases = root.GetProperty("cases").EnumerateArray().Select(c => c.Clone()).ToList();
        return new Fixture(templates, conversations, cases);
    });

    private static readonly Dictionary<string, ChatTemplate> Loaded = [];

    private static ChatTemplate Template(string name)
    {
        lock (Loaded)
        {
            if (Loaded.TryGetValue(name, out var t)) return t;
            var (path, bos, eos) = Data.Value.Templates[name];
            var full = JinjaFixtureSupport.ResolvePath(path);
            t = full.EndsWith(".json", StringComparison.Ordinal) ? ChatTemplate.FromTokenizerConfig(full) : new ChatTemplate(File.ReadAllText(full), bos, eos, full);
            Assert.Equal(bos, t.BosToken);
            Assert.Equal(eos, t.EosToken);
            return Loaded[name] = t;
        }
    }

    public static IEnumerable<object[]> Cases() =>
        Data.Value.Cases.Select((c, i) => new object[] { i, $"{c.GetProperty("template").GetString()}/{c.GetProperty("conversation").GetString()}/{(c.GetProperty("add_generation_prompt").GetBoolean() ? "gen" : "nogen")}" });

    internal static (List<object?> Messages, Dictionary<string, object?> Extra) Conversation(JsonElement conv)
    {
        var messages = conv.GetProperty("messages").EnumerateArray().Select(m => (object?)m).ToList();
        var extra = new Dictionary<string, object?> { ["date_string"] = "26 Jul 2024" };
        if (conv.TryGetProperty("tools", out var tools)) extra["tools"] = tools;
        if (conv.TryGetProperty("enable_thinking", out var thinking)) extra["enable_thinking"] = thinking;
        return (messages, extra);
    }

    private static Exception? Check(JsonElement c)
    {
        var template = Template(c.GetProperty("template").GetString()!);
        var (messages, extra) = Conversation(Data.Value.Conversations[c.GetProperty("conversation").GetString()!]);
        bool gen = c.GetProperty("add_generation_prompt").GetBoolean();
        if (c.TryGetProperty("output", out var expected))
        {
            var actual = template.Render(messages, gen, extraVariables: extra);
            JinjaFixtureSupport.AssertSameText(expected.GetString()!, actual, "render");
            return null;
        }
        var error = c.GetProperty("error");
        var ex = Record.Exception(() => template.Render(messages, gen, extraVariables: extra));
        Assert.True(ex != null, $"reference failed ({error.GetProperty("message").GetString()}) but we rendered successfully");
        if (error.GetProperty("kind").GetString() == "raise_exception")
            Assert.Equal(error.GetProperty("message").GetString(), Assert.IsType<ChatTemplateException>(ex).Message);
        else
            Assert.IsType<TemplateException>(ex);
        return ex;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesReference(int index, string label)
    {
        _ = label;
        Check(Data.Value.Cases[index]);
    }

    [Fact]
    public void CoversEveryTemplateAndConversation()
    {
        var d = Data.Value;
        Assert.True(d.Conversations.Count >= 12, $"{d.Conversations.Count} conversations");
        Assert.Equal(d.Templates.Count * d.Conversations.Count * 2, d.Cases.Count);
        foreach (var name in new[] { "gemma3", "llama3", "qwen3", "gemma-2-2b-it", "llama-3.2-3b-instruct", "qwen2.5-7b-instruct", "phi-3.5-mini-instruct" })
            Assert.True(d.Templates.ContainsKey(name), $"fixture lacks template {name}");
        Assert.Contains(d.Cases, c => c.TryGetProperty("error", out var e) && e.GetProperty("message").GetString() == "System role not supported");
    }
}
