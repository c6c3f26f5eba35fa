// Interpreter behaviour beyond the reference (Jinja2 features @huggingface/jinja rejects; expected values checked with Jinja2 3.1.6, printed in the
// reference's style), plus error reporting: line/column/excerpt for TemplateException, template message for raise_exception.
using TuneSharp.Tokenizers.Jinja;

namespace TuneSharp.Tokenizers.Tests;

public sealed class JinjaExtensionTests
{
    private static string Render(string template, object? vars = null)
    {
        var d = new Dictionary<string, JinjaValue>();
        if (vars is IDictionary<string, object?> map) foreach (var (k, v) in map) d[k] = JinjaValue.FromObject(v);
        return JinjaTemplate.Parse(template).Render(d);
    }

    [Theory]
    [InlineData("{{ u | d('x') }}|{{ u | default }}|{{ 'v' | d('x') }}", "x||v")]
    [InlineData("{{ [1,2,3] | count }} {{ 'abc' | count }}", "3 3")]
    [InlineData("{{ 2.5 | round }} {{ 2.45 | round(1) }} {{ 2.1 | round(method='ceil') }}", "2.0 2.5 3.0")]
    [InlineData("{{ [0,1,2,3] | select('odd') | list }} {{ [0,1,2,3] | reject('odd') | list }} {{ [0,'',1] | select | list }}", "[1, 3] [0, 2] [1]")]
    [InlineData("{{ ['a','b'] | map('upper') | join(',') }}", "A,B")]
    [InlineData("{{ [1,2,3,4,5] | batch(2) | list }}", "[[1, 2], [3, 4], [5]]")]
    [InlineData("{{ 'hello big world' | wordcount }}", "3")]
    [InlineData("{{ 'ab' | list }} {{ 'ab' | first }}", "[\"a\", \"b\"] a")]
    [InlineData("{% for a, b in [(1, 2), (3, 4)] %}{{ a }}{{ b }}{% endfor %}", "1234")]
    [InlineData("{% set l = [1] %}{% set _ = l.append(2) %}{{ l }}", "[1, 2]")]
    [InlineData("{{ ', '.join(['a','b']) }} {{ 'banana'.count('a') }} {{ 'banana'.find('n') }}", "a, b 3 2")]
    [InlineData("{{ 'b' > 'a' }} {{ 'ab' * 3 }}", "true ababab")]
    [InlineData("{{ 6 is divisibleby(3) }} {{ 2 is in([1,2]) }}", "true true")]
    [InlineData("{{ dict(a=1)['a'] }}", "1")]
    [InlineData("{{ u | string }}|{{ u | length }}", "|0")]
    public void Jinja2Extensions(string template, string expected) => Assert.Equal(expected, Render(template));

    [Fact]
    public void SyntaxErrorReportsLineColumnAndExcerpt()
    {
        var ex = Assert.Throws<TemplateException>(() => JinjaTemplate.Parse("line one\n{% if x %}ok\n  {{ 1 + }}\n{% endif %}"));
        Assert.Equal(3, ex.Line);
        Assert.Equal(10, ex.Column);
        Assert.Contains("{{ 1 + }}", ex.Excerpt, StringComparison.Ordinal);
        Assert.Contains("line 3, column 10", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnclosedBlockPointsAtItsOpeningTag()
    {
        var ex = Assert.Throws<TemplateException>(() => JinjaTemplate.Parse("a\n  {% for m in messages %}{{ m }}"));
        Assert.Equal(2, ex.Line);
        Assert.Contains("for", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void RuntimeErrorReportsTheFailingExpression()
    {
        var t = JinjaTemplate.Parse("{% for m in messages %}\n{{ m.content | trim }}\n{% endfor %}");
        var vars = new Dictionary<string, JinjaValue> { ["messages"] = JinjaValue.FromJson("[{\"content\": [1, 2]}]") };
        var ex = Assert.Throws<TemplateException>(() => t.Render(vars));
        Assert.Equal(2, ex.Line);
        Assert.Contains("trim", ex.Reason, StringComparison.Ordinal);
        Assert.Contains("m.content | trim", ex.Excerpt, StringComparison.Ordinal);
    }

    [Fact]
    public void RaiseExceptionCarriesTheTemplateMessage()
    {
        var t = JinjaTemplate.Parse("ok\n{{ raise_exception('System role not supported') }}");
        var ex = Assert.Throws<ChatTemplateException>(() => t.Render(new Dictionary<string, JinjaValue>()));
        Assert.Equal("System role not supported", ex.Message);
        Assert.Equal(2, ex.Line);
    }

    [Fact]
    public void DeepMacroRecursionFailsCleanly()
    {
        var ex = Assert.Throws<TemplateException>(() => Render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"));
        Assert.Contains("recursion", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValuesConvertFromClrAndJson()
    {
        var v = JinjaValue.FromObject(new Dictionary<string, object?> { ["n"] = 3, ["f"] = 1.5, ["s"] = "x", ["l"] = new[] { 1, 2 }, ["z"] = null, ["b"] = true });
        Assert.Equal("{\"n\": 3, \"f\": 1.5, \"s\": \"x\", \"l\": [1, 2], \"z\": null, \"b\": true}", v.ToString());
        // JS orders integer-like keys first, as JSON.parse does in the reference.
        Assert.Equal("{\"2\": 1, \"10\": 2, \"a\": 3}", JinjaValue.FromJson("{\"a\": 3, \"10\": 2, \"2\": 1}").ToString());
        Assert.Equal(JinjaValueKind.Integer, JinjaValue.FromJson("1.0").Kind);
    }

    [Fact]
    public void NumbersPrintLikeTheReference()
    {
        Assert.Equal("1e+21 1e-7 123456789012 0.000001 -0.0 3.0", Render("{{ x }} {{ y }} {{ z }} {{ w }} {{ -0.0 }} {{ 3.0 }}",
            new Dictionary<string, object?> { ["x"] = 1e21, ["y"] = 1e-7, ["z"] = 123456789012L, ["w"] = 0.000001 }));
    }
}
