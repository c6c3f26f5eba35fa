// Issue 14 case 2: hostile chat templates (deep nesting, endless or huge loops, exploding strings, recursion) end in TemplateException naming the template.
using System.Diagnostics;
using TuneSharp.Tokenizers.Jinja;

namespace TuneSharp.Tokenizers.Tests;

public sealed class JinjaSandboxTests
{
    private static readonly Dictionary<string, JinjaValue> NoVariables = [];

    private static TemplateException Fails(string template, JinjaLimits? limits = null, string name = "evil/tokenizer_config.json")
    {
        var ex = Record.Exception(() => JinjaTemplate.Parse(template, name, limits).Render(NoVariables));
        var te = Assert.IsType<TemplateException>(ex);
        Assert.Equal(name, te.TemplateName);
        Assert.StartsWith(name + ": ", te.Message, StringComparison.Ordinal);
        return te;
    }

    [Fact]
    public void DeeplyNestedParenthesesAreRefusedNotAStackOverflow()
    {
        var te = Fails("{{ " + new string('(', 5000) + "1" + new string(')', 5000) + " }}");
        Assert.Contains("nests deeper than 200", te.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeeplyNestedListsAndBlocksAreRefused()
    {
        Assert.Contains("nests deeper", Fails("{{ " + new string('[', 5000) + " }}").Message, StringComparison.Ordinal);
        var ifs = string.Concat(Enumerable.Repeat("{% if true %}", 3000)) + "x" + string.Concat(Enumerable.Repeat("{% endif %}", 3000));
        Assert.Contains("nests deeper", Fails(ifs).Message, StringComparison.Ordinal);
        Assert.Contains("nests deeper", Fails("{{ " + string.Concat(Enumerable.Repeat("not ", 5000)) + "1 }}").Message, StringComparison.Ordinal);
        Assert.Contains("nests deeper", Fails("{{ 1" + string.Concat(Enumerable.Repeat(" + 1", 100_000)) + " }}").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NestingWithinTheLimitStillRenders()
    {
        var t = JinjaTemplate.Parse("{{ " + new string('(', 50) + "1 + 2" + new string(')', 50) + " }}");
        Assert.Equal("3", t.Render(NoVariables));
    }

    [Fact]
    public void HugeRangeIsRefusedBeforeAllocating()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var te = Fails("{% for i in range(1000000000) %}{{ i }}{% endfor %}");
        Assert.Contains("100,000", te.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 50_000_000);
        Assert.Equal("99999", JinjaTemplate.Parse("{{ range(100000)|last }}").Render(NoVariables));
    }

    [Fact]
    public void NestedLoopsStopAtTheStepBudget()
    {
        var sw = Stopwatch.StartNew();
        var te = Fails("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", new JinjaLimits { MaxSteps = 200_000 });
        Assert.Contains("evaluation steps", te.Message, StringComparison.Ordinal);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void EndlessRenderStopsAtTheTimeBudget()
    {
        var sw = Stopwatch.StartNew();
        var te = Fails("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            new JinjaLimits { MaxSteps = long.MaxValue, MaxRenderTime = TimeSpan.FromMilliseconds(200) });
        Assert.Contains("longer than", te.Message, StringComparison.Ordinal);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void ExplodingStringsStopAtTheSizeBudget()
    {
        var te = Fails("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}");
        Assert.Contains("sandbox", te.Message, StringComparison.Ordinal);
        Fails("{{ 'a' * 1000000000 }}");
        Fails("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}", new JinjaLimits { MaxOutputChars = 1_000_000 });
    }

    [Fact]
    public void SelfContainingListAndRecursiveMacrosAreStopped()
    {
        Fails("{% set a = [] %}{% set _ = a.append(a) %}{{ a }}");
        Fails("{% set a = [] %}{% set _ = a.append(a) %}{{ a|tojson }}");
        Fails("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}");
    }

    [Fact]
    public void HostileTemplateOnASmallStackThreadIsRefusedNotFatal()
    {
        Exception? caught = null;
        var thread = new Thread(() =>
        {
            caught = Record.Exception(() => JinjaTemplate.Parse("{{ " + new string('(', 150) + "1" + new string(')', 150) + " }}", "t").Render(NoVariables));
            caught ??= Record.Exception(() => JinjaTemplate.Parse(
                "{% macro f(n) %}{{ ((((((((((f(n)))))))))) }}{% endmacro %}{{ f(1) }}", "t").Render(NoVariables));
        }, maxStackSize: 256 * 1024);
        thread.Start();
        thread.Join();
        Assert.IsType<TemplateException>(caught);
    }

    [Fact]
    public void ChatTemplateErrorsNameTheFile()
    {
        var dir = Directory.CreateTempSubdirectory("tunesharp-sandbox-").FullName;
        try
        {
            var path = Path.Combine(dir, "tokenizer_config.json");
            File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["chat_template"] = "{{ " + new string('[', 3000) + " }}" }));
            var ex = Assert.IsType<TemplateException>(Record.Exception(() => ChatTemplate.FromTokenizerConfig(path)));
            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
