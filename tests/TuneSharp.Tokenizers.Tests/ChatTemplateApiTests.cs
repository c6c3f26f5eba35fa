// ChatTemplate loading (string / named list / chat_template.jinja, bos/eos as strings or {content}), rendering options and bad-input errors.
using TuneSharp.Tokenizers.Jinja;

namespace TuneSharp.Tokenizers.Tests;

public sealed class ChatTemplateApiTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tunesharp-chat-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly List<object?> Messages =
    [
        new Dictionary<string, object?> { ["role"] = "user", ["content"] = "Hi" },
        new Dictionary<string, object?> { ["role"] = "assistant", ["content"] = "Hello" },
    ];

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void LoadsStringTemplateAndTokenObjects()
    {
        var path = Write("tokenizer_config.json", """
            {"bos_token": {"content": "<B>", "lstrip": false}, "eos_token": "<E>",
             "chat_template": "{{ bos_token }}{% for m in messages %}{{ m.role }}:{{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}"}
            """);
        var t = ChatTemplate.FromTokenizerConfig(path);
        Assert.Equal("<B>", t.BosToken);
        Assert.Equal("<E>", t.EosToken);
        Assert.Equal("<B>user:Hi<E>assistant:Hello<E>", t.Render(Messages));
        Assert.Equal("<B>user:Hi<E>assistant:Hello<E>assistant:", t.Render(Messages, addGenerationPrompt: true));
        Assert.Equal("[x]user:Hi<E>assistant:Hello<E>", t.Render(Messages, bosToken: "[x]"));
        var spans = t.RenderWithAssistantSpans(Messages);
        Assert.Equal("Hello<E>", spans.Text[spans.AssistantSpans[0].Start..spans.AssistantSpans[0].End]);
    }

    [Fact]
    public void PicksNamedTemplateFromList()
    {
        var path = Write("tokenizer_config.json", """
            {"chat_template": [{"name": "tool_use", "template": "TOOLS {{ tools | length }}"}, {"name": "default", "template": "DEFAULT {{ messages | length }}"}]}
            """);
        Assert.Equal("DEFAULT 2", ChatTemplate.FromTokenizerConfig(path).Render(Messages));
        var tools = ChatTemplate.FromTokenizerConfig(path, "tool_use");
        Assert.Equal("TOOLS 1", tools.Render(Messages, extraVariables: new Dictionary<string, object?> { ["tools"] = new[] { new Dictionary<string, object?> { ["name"] = "f" } } }));
        var ex = Assert.Throws<TokenizerFormatException>(() => ChatTemplate.FromTokenizerConfig(path, "missing"));
        Assert.Contains("tool_use", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PrefersChatTemplateJinjaBesideConfig()
    {
        Write("tokenizer_config.json", """{"eos_token": "<E>", "chat_template": "OLD"}""");
        Write("chat_template.jinja", "NEW {{ eos_token }}\n");
        Assert.Equal("NEW <E>", ChatTemplate.FromDirectory(_dir).Render(Messages));
    }

    [Fact]
    public void DirectoryWithOnlyJinjaWorks()
    {
        Write("chat_template.jinja", "{% for m in messages %}{{ m['content'] }}{% endfor %}");
        Assert.Equal("HiHello", ChatTemplate.FromDirectory(_dir).Render(Messages));
    }

    [Fact]
    public void MissingTemplateIsAClearError()
    {
        var path = Write("tokenizer_config.json", """{"eos_token": "<E>"}""");
        var ex = Assert.Throws<TokenizerFormatException>(() => ChatTemplate.FromTokenizerConfig(path));
        Assert.Contains("chat_template", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        var empty = Directory.CreateDirectory(Path.Combine(_dir, "sub-empty-" + Guid.NewGuid())).FullName;
        Assert.Throws<TokenizerFormatException>(() => ChatTemplate.FromDirectory(empty));
        Assert.Null(ChatTemplate.TryFromDirectory(empty));
        Assert.Null(ChatTemplate.TryFromDirectory(_dir)); // tokenizer_config.json without chat_template: absent, not an error
        Assert.Throws<TokenizerFormatException>(() => ChatTemplate.TryFromDirectory(Path.Combine(_dir, "no-such-folder")));
    }

    [Fact]
    public void ConversationJsonAcceptsArrayOrObject()
    {
        var (m1, v1) = ChatTemplate.ParseConversationJson("""[{"role": "user", "content": "a"}]""");
        Assert.Single(m1);
        Assert.Empty(v1);
        var (m2, v2) = ChatTemplate.ParseConversationJson("""{"messages": [{"role": "user", "content": "a"}], "tools": [], "enable_thinking": false}""");
        Assert.Single(m2);
        Assert.Equal(["tools", "enable_thinking"], v2.Keys.ToArray());
        Assert.Throws<TokenizerFormatException>(() => ChatTemplate.ParseConversationJson("""{"msgs": []}"""));
        Assert.Throws<TokenizerFormatException>(() => ChatTemplate.ParseConversationJson("""[1]"""));
        Assert.Throws<TokenizerFormatException>(() => ChatTemplate.ParseConversationJson("""[{"role": """));
    }

    [Fact]
    public void NonDictionaryMessageIsRejected() =>
        Assert.Throws<ArgumentException>(() => new ChatTemplate("{{ messages }}").Render(["just a string"]));

    [Fact]
    public void TemplateSyntaxErrorSurfacesAsTemplateException()
    {
        var path = Write("tokenizer_config.json", """{"chat_template": "{% for m in messages %}"}""");
        Assert.Throws<TemplateException>(() => ChatTemplate.FromTokenizerConfig(path));
        Assert.Throws<TemplateException>(() => ChatTemplate.TryFromDirectory(_dir)); // present but broken is an error
    }
}
