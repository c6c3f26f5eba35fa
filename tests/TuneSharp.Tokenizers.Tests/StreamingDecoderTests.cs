// Streaming decode emits only complete UTF-8 text: byte-fallback and byte-level pieces of one character never surface as U+FFFD.
namespace TuneSharp.Tokenizers.Tests;

public sealed class StreamingDecoderTests
{
    [Theory]
    [InlineData("gemma3", "가 확잠실읾 념뭄 잙앙욤 😀👨‍👩‍👧 done.")]
    [InlineData("tinystories-656k", "Once upon a time 확 가나다 there was a cat.")]
    [InlineData("llama3", "Hello 확잠실읾 념뭄 잙앙욤 🇰🇷 world")]
    [InlineData("qwen3", "中文 한국어 日本語 🎉")]
    [InlineData("smollm2", "  leading 뷁 and trailing  ")]
    public void StreamMatchesFullDecode(string name, string text)
    {
        var tok = TokenizerCache.Get(name);
        var ids = tok.Encode(text);
        var stream = tok.CreateStreamingDecoder();
        var pieces = new List<string>();
        foreach (var id in ids) pieces.Add(stream.Add(id));
        pieces.Add(stream.Flush());
        Assert.All(pieces, p => Assert.DoesNotContain('\uFFFD', p));
        Assert.Equal(tok.Decode(ids), string.Concat(pieces));
    }

    [Fact]
    public void HangulSplitAcrossByteTokensWaitsForTheLastByte()
    {
        var tok = TokenizerCache.Get("gemma3");
        int b1 = tok.TokenToId("<0xEA>")!.Value, b2 = tok.TokenToId("<0xB0>")!.Value, b3 = tok.TokenToId("<0x80>")!.Value;
        var s = tok.CreateStreamingDecoder();
        Assert.Equal("", s.Add(b1));
        Assert.Equal("", s.Add(b2));
        Assert.Equal("가", s.Add(b3));
        Assert.Equal("", s.Flush());
    }

    [Fact]
    public void FlushEmitsUnfinishedBytes()
    {
        var tok = TokenizerCache.Get("gemma3");
        var s = tok.CreateStreamingDecoder();
        Assert.Equal("", s.Add(tok.TokenToId("<0xEA>")!.Value));
        Assert.Contains('\uFFFD', s.Flush());
    }
}
