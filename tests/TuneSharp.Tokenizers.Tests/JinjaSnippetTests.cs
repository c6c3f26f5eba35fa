// Interpreter features checked against snippet outputs rendered by @huggingface/jinja (tests/golden/chat_templates/snippet_fixtures.json).
using System.Text.Json;
using TuneSharp.Tokenizers.Jinja;

namespace TuneSharp.Tokenizers.Tests;

public sealed class JinjaSnippetTests
{
    private static readonly Lazy<Dictionary<string, JsonElement>> Snippets = new(() =>
    {
        using var doc = JinjaFixtureSupport.Load("snippet_fixtures.json");
        return doc.RootElement.GetProperty("snippets").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!, s => s.Clone());
    });

    public static IEnumerable<object[]> Names()
    {
        using var doc = JinjaFixtureSupport.Load("snippet_fixtures.json");
        return doc.RootElement.GetProperty("snippets").EnumerateArray().Select(s => new object[] { s.GetProperty("name").GetString()! }).ToList();
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesReference(string name)
    {
        var s = Snippets.Value[name];
        var template = s.GetProperty("template").GetString()!;
        var vars = JinjaFixtureSupport.Variables(s.TryGetProperty("vars", out var v) ? v : default);
        if (s.TryGetProperty("output", out var expected))
        {
            var actual = JinjaTemplate.Parse(template).Render(vars);
            JinjaFixtureSupport.AssertSameText(expected.GetString()!, actual, name);
            return;
        }
        var error = s.GetProperty("error");
        var kind = error.GetProperty("kind").GetString();
        var message = error.GetProperty("message").GetString();
        var ex = Record.Exception(() => JinjaTemplate.Parse(template).Render(vars));
        Assert.True(ex != null, $"{name}: reference failed ({kind}: {message}) but we rendered successfully");
        if (kind == "raise_exception")
        {
            var raised = Assert.IsType<ChatTemplateException>(ex);
            Assert.Equal(message, raised.Message);
        }
        else
        {
            Assert.IsType<TemplateException>(ex);
        }
    }

    [Fact]
    public void FixtureHasEnoughSnippets() => Assert.True(Snippets.Value.Count >= 100, $"only {Snippets.Value.Count} snippets");
}
