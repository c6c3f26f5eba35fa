// Token texts measured in context (SentencePiece and byte-level BPE) and the JSON mask over a real vocabulary.
using TuneSharp.Inference.Constrained;
using TuneSharp.Testing;
using TuneSharp.Tokenizers;

namespace TuneSharp.Serving.Tests;

public sealed class TokenTextsTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Theory]
    [InlineData("models/tinystories-656k", false)]
    [InlineData("tokenizers/smollm2", true)]
    public void JsonStart_IsExpressibleExactlyWhenTheVocabularyHasABrace(string dir, bool expressible)
    {
        var path = SharedAssets.Require(dir);
        var tok = File.Exists(Path.Combine(path, "tokenizer_config.json")) ? Tokenizer.FromPretrained(path) : Tokenizer.FromFile(Path.Combine(path, "tokenizer.json"));
        var texts = TokenTexts.For(tok);
        var brace = tok.Encode("{", addSpecialTokens: false);
        output.WriteLine($"{dir}: {texts.Texts.Count(t => t != null)} of {texts.Texts.Length} tokens have texts; '{{' → [{string.Join(",", brace)}] text '{string.Join("|", brace.Select(i => texts.Texts[i] ?? "(null)"))}'; decode '{tok.Decode(brace)}'");
        var c = JsonConstraint.JsonObject(tok);
        var logits = new float[tok.VocabSize];
        int allowed = c.Mask(logits);
        output.WriteLine($"allowed at start: {allowed}");
        Assert.Equal(expressible, c.CanBegin());
        if (expressible) Assert.Contains(brace, id => c.Allows(id));
    }
}
