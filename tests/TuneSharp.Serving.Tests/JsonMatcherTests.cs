// The JSON prefix recognizer behind constrained decoding: complete documents, live prefixes and dead ends.
using System.Text.Json;
using TuneSharp.Inference.Constrained;

namespace TuneSharp.Serving.Tests;

public sealed class JsonMatcherTests
{
    private static List<JsonMatcher.State> Run(JsonSchemaNode schema, string text)
    {
        var s = new List<JsonMatcher.State> { JsonMatcher.Start(schema) };
        foreach (var c in text) s = JsonMatcher.Feed(s, c);
        return s;
    }

    private static JsonSchemaNode Schema(string json) => JsonSchemaNode.Parse(JsonDocument.Parse(json).RootElement);

    [Theory]
    [InlineData("{}", true)]
    [InlineData("{\"a\": [1, -2.5e3, true, null, \"x\\n\\u00e9\"], \"b\": {\"c\": false}}", true)]
    [InlineData(" {\"a\":0}", true)]
    [InlineData("{\"a\":01}", false)]
    [InlineData("[1]", false)]
    [InlineData("{\"a\" 1}", false)]
    [InlineData("{\"a\":tru}", false)]
    [InlineData("{\"a\":\"\u0001\"}", false)]
    [InlineData("{\"a\":1,}", false)]
    public void JsonObject_AcceptsExactlyValidObjects(string text, bool valid)
    {
        var s = Run(JsonSchemaNode.ObjectWithAnyKeys(), text);
        Assert.Equal(valid, s.Count > 0 && JsonMatcher.IsComplete(s));
    }

    [Fact]
    public void Schema_ConstrainsKeysTypesEnumsAndRequired()
    {
        var schema = Schema("""
            {"type":"object","properties":{"n":{"type":"integer"},"c":{"enum":["red","rose"]},"t":{"type":"array","items":{"type":"boolean"},"maxItems":2}},
             "required":["n","c"],"additionalProperties":false}
            """);
        Assert.True(JsonMatcher.IsComplete(Run(schema, "{\"n\": 12, \"c\": \"rose\"}")));
        Assert.True(JsonMatcher.IsComplete(Run(schema, "{\"c\":\"red\",\"t\":[true,false],\"n\":-3}")));
        Assert.NotEmpty(Run(schema, "{\"c\":\"r"));
        Assert.Empty(Run(schema, "{\"x"));                         // unknown key
        Assert.Empty(Run(schema, "{\"n\": 1.5"));                  // integer only
        Assert.Empty(Run(schema, "{\"c\":\"blue"));                // not in the enum
        Assert.Empty(Run(schema, "{\"n\":1}"));                    // "c" is required
        Assert.Empty(Run(schema, "{\"t\":[true,true,true"));       // maxItems
        Assert.Empty(Run(schema, "{\"n\":1,\"n\""));               // no key twice
        Assert.Empty(Run(schema, "{\"n\":1,       "));             // whitespace runs are bounded
    }

    [Fact]
    public void Schema_RefsAnyOfAndNullable()
    {
        var schema = Schema("""
            {"$defs":{"p":{"type":"object","properties":{"v":{"type":["string","null"]}},"required":["v"]}},
             "type":"object","properties":{"items":{"type":"array","items":{"$ref":"#/$defs/p"}},"k":{"anyOf":[{"type":"number"},{"const":"none"}]}},
             "required":["items","k"]}
            """);
        Assert.True(JsonMatcher.IsComplete(Run(schema, "{\"items\":[{\"v\":null},{\"v\":\"a\"}],\"k\":\"none\"}")));
        Assert.True(JsonMatcher.IsComplete(Run(schema, "{\"items\":[],\"k\":3.25}")));
        Assert.Empty(Run(schema, "{\"items\":[{\"v\":1"));
        Assert.Throws<TuneSharp.Inference.InvalidRequestException>(() => Schema("""{"type":"decimal"}"""));
        Assert.Throws<TuneSharp.Inference.InvalidRequestException>(() => Schema("""{"$ref":"#/$defs/missing"}"""));
    }
}
