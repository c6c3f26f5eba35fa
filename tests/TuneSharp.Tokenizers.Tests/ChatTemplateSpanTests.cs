// Assistant spans (prefix-derived and from {% generation %} blocks) on the real templates, and the span → token mask function.
using System.Text;
using System.Text.Json;
using TuneSharp.Tokenizers.Jinja;

namespace TuneSharp.Tokenizers.Tests;

public sealed class ChatTemplateSpanTests
{
    private static readonly string[] Templates =
    [
        "shared:assets/chat-templates/google-gemma-2-2b-it.jinja ; <bos> ; <eos>",
        "shared:assets/chat-templates/meta-llama-Llama-3.2-3B-Instruct.jinja ; <|begin_of_text|> ; <|eot_id|>",
        "shared:assets/chat-templates/Qwen-Qwen2.5-7B-Instruct.jinja ;  ; <|im_end|>",
        "shared:assets/chat-templates/microsoft-Phi-3.5-mini-instruct.jinja ; <s> ; <|endoftext|>",
        "repo:tests/golden/chat_templates/templates/chatml-generation.jinja ;  ; <|im_end|>",
        "shared:assets/tokenizers/gemma3/tokenizer_config.json ;  ; ",
        "shared:assets/tokenizers/llama3/tokenizer_config.json ;  ; ",
        "shared:assets/tokenizers/qwen3/tokenizer_config.json ;  ; ",
    ];

    private static readonly Dictionary<string, string> ExpectedEnd = new()
    {
        ["google-gemma-2-2b-it.jinja"] = "<end_of_turn>",
        ["meta-llama-Llama-3.2-3B-Instruct.jinja"] = "<|eot_id|>",
        ["Qwen-Qwen2.5-7B-Instruct.jinja"] = "<|im_end|>",
        ["microsoft-Phi-3.5-mini-instruct.jinja"] = "<|end|>",
        ["chatml-generation.jinja"] = "<|im_end|>",
        ["gemma3"] = "<end_of_turn>",
        ["llama3"] = "<|eot_id|>",
        ["qwen3"] = "<|im_end|>",
    };

    private static ChatTemplate Load(string spec, out string key)
    {
        var parts = spec.Split(" ; ");
        var path = JinjaFixtureSupport.ResolvePath(parts[0]);
        key = path.EndsWith(".json", StringComparison.Ordinal) ? Path.GetFileName(Path.GetDirectoryName(path))! : Path.GetFileName(path);
        return path.EndsWith(".json", StringComparison.Ordinal)
            ? ChatTemplate.FromTokenizerConfig(path)
            : new ChatTemplate(File.ReadAllText(path), parts[1].Length > 0 ? parts[1] : null, parts[2], path);
    }

    public static IEnumerable<object[]> TemplateSpecs() => Templates.Select(t => new object[] { t });

    [Theory]
    [MemberData(nameof(TemplateSpecs))]
    public void AssistantSpansCoverContentAndEndMarker(string spec)
    {
        var template = Load(spec, out var key);
        using var convs = JinjaFixtureSupport.Load("conversations.json");
        var report = new StringBuilder();
        int checkedSpans = 0;
        foreach (var conv in convs.RootElement.EnumerateArray())
        {
            var id = conv.GetProperty("id").GetString()!;
            if (id is not ("single_exchange" or "multi_turn" or "system_multi_turn" or "korean" or "special_characters" or "whitespace" or "thinking" or "numbers_and_long"))
                continue;
            var (messages, extra) = ChatTemplateFixtureTests.Conversation(conv);
            ChatTemplateRendering r;
            try { r = template.RenderWithAssistantSpans(messages, false, extraVariables: extra); }
            catch (ChatTemplateException ex) when (ex.Message.Contains("System role", StringComparison.Ordinal)) { continue; }
            Assert.Equal(template.Render(messages, false, extraVariables: extra), r.Text);
            var assistants = messages.Select((m, i) => (m: (JsonElement)m!, i)).Where(p => p.m.GetProperty("role").GetString() == "assistant").ToList();
            Assert.Equal(assistants.Count, r.AssistantSpans.Count);
            for (int k = 0; k < assistants.Count; k++)
            {
                var span = r.AssistantSpans[k];
                Assert.Equal(assistants[k].i, span.MessageIndex);
                var text = r.Text[span.Start..span.End];
                report.Append(key).Append('/').Append(id).Append(": ").Append(text.Replace("\n", "\\n")).Append('\n');
                var content = assistants[k].m.GetProperty("content").GetString()!.Trim();
                if (content.Contains("</think>", StringComparison.Ordinal)) content = content[(content.IndexOf("</think>", StringComparison.Ordinal) + 8)..].Trim();
                Assert.True(text.Contains(content, StringComparison.Ordinal), $"{key}/{id}: span '{text}' lacks content '{content}'");
                // The last turn may also carry the eos the template appends after the conversation (Phi-3.5).
                bool endsWell = text.EndsWith(ExpectedEnd[key], StringComparison.Ordinal)
                    || (k == assistants.Count - 1 && template.EosToken is { } eos && text.EndsWith(ExpectedEnd[key] + "\n" + eos, StringComparison.Ordinal));
                Assert.True(endsWell, $"{key}/{id}: span '{text}' does not end with {ExpectedEnd[key]}");
                if (k > 0) Assert.True(span.Start >= r.AssistantSpans[k - 1].End);
                checkedSpans++;
            }
        }
        Assert.True(checkedSpans >= 5, $"{key}: only {checkedSpans} spans checked");
        Assert.True(report.Length > 0);
    }

    [Fact]
    public void GenerationBlocksGiveExactSpans()
    {
        var template = new ChatTemplate(File.ReadAllText(JinjaFixtureSupport.ResolvePath("repo:tests/golden/chat_templates/templates/chatml-generation.jinja")));
        Assert.True(template.HasGenerationBlocks);
        var messages = new List<object?>
        {
            new Dictionary<string, object?> { ["role"] = "user", ["content"] = "Hi" },
            new Dictionary<string, object?> { ["role"] = "assistant", ["content"] = " Hello! " },
            new Dictionary<string, object?> { ["role"] = "user", ["content"] = "Bye" },
            new Dictionary<string, object?> { ["role"] = "assistant", ["content"] = "See you." },
        };
        var r = template.RenderWithAssistantSpans(messages);
        Assert.True(r.FromGenerationBlocks);
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\nSee you.<|im_end|>\n", r.Text);
        Assert.Equal(["Hello!<|im_end|>", "See you.<|im_end|>"], r.AssistantSpans.Select(s => r.Text[s.Start..s.End]).ToArray());
        Assert.Equal([1, 3], r.AssistantSpans.Select(s => s.MessageIndex).ToArray());
    }

    [Fact]
    public void GenerationSpansIgnoreIterationsDroppedByContinue()
    {
        var t = JinjaTemplate.Parse("{% for m in ms %}[{% generation %}{{ m }}{% if m == 'b' %}{% continue %}{% endif %}{% endgeneration %}]{% endfor %}");
        var r = t.RenderWithGenerationSpans(new Dictionary<string, JinjaValue> { ["ms"] = JinjaValue.FromObject(new[] { "a", "b", "c" }) });
        Assert.Equal("[a][c]", r.Text);
        Assert.Equal([(1, 2), (4, 5)], r.GenerationSpans.ToArray());
    }

    [Fact]
    public void TokenMaskMarksOverlappingTokens()
    {
        // text: "<s>user: hi</s>bot: ok</s>" with the assistant span "ok</s>" at [20, 26).
        var spans = new[] { new ChatTemplateSpan(20, 26, 3) };
        (int, int)[] offsets = [(0, 0), (0, 3), (3, 8), (8, 11), (11, 15), (15, 19), (19, 21), (21, 22), (22, 26), (26, 26)];
        var mask = ChatTemplateMask.TokenMask(offsets, spans);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 1, 1, 1, 0 }, mask);
        Assert.Equal(new[] { -100, -100, 7, 8 }, ChatTemplateMask.MaskLabels([5, 6, 7, 8], [0, 0, 1, 1]));
    }

    [Fact]
    public void TokenMaskHandlesSeveralSpansAndUnsortedInput()
    {
        var spans = new[] { new ChatTemplateSpan(10, 12, 1), new ChatTemplateSpan(2, 4, 0), new ChatTemplateSpan(12, 12, 2) };
        (int, int)[] offsets = [(0, 2), (1, 3), (4, 10), (9, 11), (11, 12), (12, 14), (3, 4)];
        Assert.Equal(new byte[] { 0, 1, 0, 1, 1, 0, 1 }, ChatTemplateMask.TokenMask(offsets, spans));
        Assert.Empty(ChatTemplateMask.TokenMask(ReadOnlySpan<(int, int)>.Empty, spans));
    }
}
