// Unit tests of pipeline components on small hand-written tokenizer.json files: split behaviours, Metaspace, WordPiece,
// Unigram, added-token options, offsets, batching, config tokens and error messages.
namespace TuneSharp.Tokenizers.Tests;

public sealed class PipelineTests
{
    private static string Json(string normalizer, string pre, string model, string post = "null", string decoder = "null", string added = "[]") =>
        $$"""{"version":"1.0","added_tokens":{{added}},"normalizer":{{normalizer}},"pre_tokenizer":{{pre}},"model":{{model}},"post_processor":{{post}},"decoder":{{decoder}}}""";

    /// <summary>A BPE with one token per character of "abc -.▁" plus a few merges, enough to see splits as ids.</summary>
    private static string SmallBpe() =>
        """{"type":"BPE","dropout":null,"unk_token":"?","fuse_unk":true,"byte_fallback":false,"vocab":{"?":0,"a":1,"b":2,"c":3," ":4,"-":5,".":6,"▁":7,"ab":8,"abc":9,"▁a":10},"merges":["a b","ab c","▁ a"]}""";

    private static Tokenizer Build(string pre, string normalizer = "null", string added = "[]") =>
        Tokenizer.FromJson(Json(normalizer, pre, SmallBpe(), added: added));

    [Theory]
    [InlineData("Removed", "2,6,9,9")]
    [InlineData("Isolated", "2,6,5,9,5,9")]
    [InlineData("MergedWithPrevious", "2,6,5,9,5,9")]
    [InlineData("MergedWithNext", "2,6,5,9,5,9")]
    [InlineData("Contiguous", "2,6,5,9,5,9")]
    public void SplitBehaviours(string behavior, string expected)
    {
        var tok = Build($$"""{"type":"Split","pattern":{"String":"-"},"behavior":"{{behavior}}","invert":false}""");
        Assert.Equal(expected, string.Join(",", tok.Encode("b.-abc-abc")));
    }

    [Fact]
    public void SplitMergedWithPreviousKeepsDelimiterWithLeftWord()
    {
        // "ab-" is not a vocab word, so the split is visible through the merges: a+b→ab stays, "-" follows in the same word.
        var iso = Build("""{"type":"Split","pattern":{"Regex":"-+"},"behavior":"Contiguous","invert":false}""");
        Assert.Equal([8, 5, 5, 9], iso.Encode("ab--abc"));
        var inv = Build("""{"type":"Split","pattern":{"Regex":"[abc]+"},"behavior":"Removed","invert":true}""");
        Assert.Equal([8, 9], inv.Encode("ab-abc"));
    }

    [Fact]
    public void MetaspaceSchemes()
    {
        var always = Build("""{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true}""");
        Assert.Equal([7, 8, 10, 3], always.Encode("ab ac"));
        var never = Build("""{"type":"Metaspace","replacement":"▁","prepend_scheme":"never","split":false}""");
        Assert.Equal([8, 10, 3], never.Encode("ab ac"));
    }

    [Fact]
    public void FuseUnkAndOffsets()
    {
        var tok = Build("null");
        var e = tok.EncodeWithOffsets("abxyzc");
        Assert.Equal([8, 0, 3], e.Ids);
        Assert.Equal([(0, 2), (2, 5), (5, 6)], e.Offsets);
    }

    [Fact]
    public void OffsetsThroughByteLevelAndNormalizer()
    {
        var tok = TokenizerCache.Get("qwen3");
        var text = "안녕 world";
        var e = tok.EncodeWithOffsets(text, addSpecialTokens: false);
        Assert.Equal(tok.Encode(text, false), e.Ids);
        Assert.Equal(0, e.Offsets[0].Start);
        Assert.Equal(text.Length, e.Offsets[^1].End);
        Assert.Equal(" world", text[e.Offsets[^1].Start..e.Offsets[^1].End]);
        var gem = TokenizerCache.Get("gemma3");
        var g = gem.EncodeWithOffsets("Hello world", addSpecialTokens: true);
        Assert.True(g.SpecialTokensMask[0]);
        Assert.Equal("world", "Hello world"[g.Offsets[^1].Start..g.Offsets[^1].End].Trim());
    }

    [Fact]
    public void AddedTokenOptions()
    {
        var added = """[{"id":11,"content":"<x>","special":true,"normalized":false,"lstrip":true,"rstrip":true,"single_word":false},{"id":12,"content":"ab","special":false,"normalized":false,"lstrip":false,"rstrip":false,"single_word":true}]""";
        var tok = Build("null", added: added);
        Assert.Equal([1, 11, 2], tok.Encode("a  <x>  b"));
        Assert.Equal([12, 4, 9], tok.Encode("ab abc"));   // single_word: "ab" inside "abc" is not the added token
        Assert.True(tok.IsSpecial(11));
        Assert.False(tok.IsSpecial(12));
        Assert.Equal("<x>", tok.IdToToken(11));
        Assert.Equal(12, tok.TokenToId("ab"));
    }

    [Fact]
    public void LongestAddedTokenWins()
    {
        var added = """[{"id":11,"content":"<a>","special":true},{"id":12,"content":"<a><b>","special":true}]""";
        var tok = Build("null", added: added);
        Assert.Equal([12, 11], tok.Encode("<a><b><a>"));
    }

    [Fact]
    public void WordPieceAndBertNormalizer()
    {
        var tok = TokenizerCache.Get("all-minilm-l6-v2");
        var ids = tok.Encode("Hello, Wörld!");
        Assert.Equal(101, ids[0]);
        Assert.Equal(102, ids[^1]);
        Assert.Equal("hello, world!", tok.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void UnigramViterbi()
    {
        var model = """{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0],["▁",-2],["a",-3],["b",-3],["ab",-1],["▁ab",-0.5],["c",-4]]}""";
        var tok = Tokenizer.FromJson(Json("null", """{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true}""", model,
            decoder: """{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true}"""));
        Assert.Equal([5, 6, 0], tok.Encode("abcxy"));
        Assert.Equal("abc<unk>", tok.Decode(tok.Encode("abcxy")));
    }

    [Theory]
    [InlineData("NFC", "e\u0301\u1100\u1161\u11A8", "\u00E9\uAC01")]
    [InlineData("NFD", "\u00E9\uAC01", "e\u0301\u1100\u1161\u11A8")]
    [InlineData("NFKC", "\uFB01\u2126\u00BD", "fi\u03A91\u20442")]
    [InlineData("NFKD", "\u1E9B\u0323", "s\u0323\u0307")]
    public void UnicodeNormalizationForms(string form, string input, string expected)
    {
        // Vocab = every char of the expected output, so the ids spell out the normalized text.
        var chars = expected.Distinct().ToArray();
        var vocab = string.Join(",", chars.Select((c, i) => $"{System.Text.Json.JsonSerializer.Serialize(c.ToString())}:{i}"));
        var tok = Tokenizer.FromJson(Json($$"""{"type":"{{form}}"}""", "null", $$"""{"type":"BPE","vocab":{{{vocab}}},"merges":[]}"""));
        Assert.Equal(expected, string.Concat(tok.Encode(input).Select(id => tok.IdToToken(id))));
        var e = tok.EncodeWithOffsets(input);
        Assert.Equal(input.Length, e.Offsets[^1].End);
    }

    [Fact]
    public void LoneSurrogatesBecomeReplacementCharacter()
    {
        var tok = TokenizerCache.Get("llama3");
        Assert.Equal(tok.Encode("a\uFFFDb"), tok.Encode("a\uD800b"));
        Assert.Equal(tok.Encode("x\uFFFD"), tok.Encode("x\uDC00"));
    }

    [Fact]
    public void AstralLettersAreLettersForTheRegex()
    {
        // "𝐀𝐁" (math bold, category Lu) must stay one pre-token with the preceding space, as in HF (Unicode scalars).
        var tok = TokenizerCache.Get("llama3");
        var ids = tok.Encode(" 𝐀𝐁", addSpecialTokens: false);
        Assert.Equal(" 𝐀𝐁", tok.Decode(ids));
        var withSpace = tok.EncodeWithOffsets(" 𝐀𝐁x", addSpecialTokens: false);
        Assert.Equal(0, withSpace.Offsets[0].Start);
    }

    [Fact]
    public void BatchPaddingTruncationAndMasks()
    {
        var tok = TokenizerCache.Get("gemma3");
        var b = tok.EncodeBatch(["Hello world", "Hi"], paddingSide: PaddingSide.Left);
        Assert.Equal(b.InputIds[0].Length, b.InputIds[1].Length);
        Assert.Equal(0, b.AttentionMask[1][0]);
        Assert.Equal(tok.PadTokenId, b.InputIds[1][0]);
        Assert.Equal(1, b.AttentionMask[1][^1]);
        var r = tok.EncodeBatch(["Hello world and more words here", "Hi"], maxLength: 4, padToMaxLength: true, paddingSide: PaddingSide.Right);
        Assert.All(r.InputIds, row => Assert.Equal(4, row.Length));
        Assert.Equal([1, 1, 0, 0], r.AttentionMask[1]);
        Assert.Equal(4, r.Lengths[0]);
    }

    [Fact]
    public void PadTokenForLlama3()
    {
        var tok = Tokenizer.FromPretrained(Testing.SharedAssets.Require("tokenizers/llama3"));
        Assert.Null(tok.PadTokenId);
        var e = Assert.Throws<InvalidOperationException>(() => tok.EncodeBatch(["a", "a b c"]));
        Assert.Contains("SetPadToken", e.Message);
        var bad = Assert.Throws<ArgumentException>(() => tok.SetPadToken("<|no_such_token|>"));
        Assert.Contains("<|no_such_token|>", bad.Message);
        tok.SetPadToken("<|reserved_special_token_0|>");
        Assert.Equal(128002, tok.PadTokenId);
        Assert.Equal("<|begin_of_text|>", tok.BosToken);
        Assert.Equal(128000, tok.BosTokenId);
        Assert.Equal(128001, tok.EosTokenId);
    }

    [Fact]
    public void ConfigTokensAndAddBosFlags()
    {
        var gemma = TokenizerCache.Get("gemma3");
        Assert.Equal("<bos>", gemma.BosToken);
        Assert.Equal(2, gemma.BosTokenId);
        Assert.Equal("<end_of_turn>", gemma.EosToken);
        Assert.Equal(0, gemma.PadTokenId);
        Assert.True(gemma.AddBosToken);
        Assert.Equal(PaddingSide.Left, gemma.PaddingSide);
        Assert.Equal(262145, gemma.VocabSize);

        var dir = Directory.CreateTempSubdirectory("tok-");
        try
        {
            File.Copy(Testing.SharedAssets.Require("tokenizers/tinystories-656k/tokenizer.json"), Path.Combine(dir.FullName, "tokenizer.json"));
            File.WriteAllText(Path.Combine(dir.FullName, "tokenizer_config.json"),
                """{"bos_token":{"__type":"AddedToken","content":"<|start_story|>"},"eos_token":"<|end_story|>","add_bos_token":false,"add_eos_token":true}""");
            var tok = Tokenizer.FromPretrained(dir.FullName);
            var ids = tok.Encode("Once upon a time");
            Assert.NotEqual(1, ids[0]);
            Assert.Equal(2, ids[^1]);
            tok.AddBosToken = true;
            Assert.Equal(1, tok.Encode("Once")[0]);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void MalformedMergeNamesJsonPathAndFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, Json("null", "null", """{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":["a b","a"]}"""));
        try
        {
            var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromFile(path));
            Assert.Contains("$.model.merges[1]", e.Message);
            Assert.Contains(path, e.Message);
            Assert.Equal("$.model.merges[1]", e.JsonPath);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void UnsupportedComponentNamesItself()
    {
        var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson(Json("null",
            """{"type":"Sequence","pretokenizers":[{"type":"Digits","individual_digits":true},{"type":"Foo"}]}""", SmallBpe()), "t.json"));
        Assert.Contains("pre_tokenizer type 'Foo' is not supported (at $.pre_tokenizer.pretokenizers[1]", e.Message);
        var d = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson(Json("null", "null",
            """{"type":"BPE","dropout":0.1,"vocab":{"a":0},"merges":[]}""")));
        Assert.Contains("$.model.dropout", d.Message);
        var m = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson("""{"model":{"type":"BPE","vocab":{"a":"x"},"merges":[]}}"""));
        Assert.Contains("$.model.vocab", m.Message);
        var j = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson("{\"model\": [", "broken.json"));
        Assert.Contains("broken.json", j.Message);
    }
}
