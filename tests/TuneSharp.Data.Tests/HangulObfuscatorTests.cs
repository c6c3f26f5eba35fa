// Hangul decomposition and the seeded obfuscation augmenter.
using TuneSharp.Data;
using TuneSharp.Data.Augmentation;

namespace TuneSharp.Data.Tests;

public sealed class HangulObfuscatorTests
{
    [Fact]
    public void DecomposeComposeRoundTripsEverySyllable()
    {
        for (int c = HangulSyllable.SyllableBase; c < HangulSyllable.SyllableBase + HangulSyllable.SyllableCount; c++)
            Assert.Equal((char)c, HangulSyllable.Decompose((char)c).Compose());
        Assert.Equal(new HangulSyllable(18, 0, 4), HangulSyllable.Decompose('한')); // ㅎ ㅏ ㄴ
    }

    [Fact]
    public void LiaisonMovesFinalToSilentInitial()
    {
        var only = new HangulObfuscator(new HangulObfuscationOptions { LiaisonRate = 1, FinalInsertionRate = 0, SimilarJamoRate = 0 });
        Assert.Equal("음시기", only.Obfuscate("음식이", new SplitMix64(1)));
        Assert.Equal("달글 머거요", only.Obfuscate("닭을 먹어요", new SplitMix64(1)));
    }

    [Fact]
    public void FinalInsertionOnlyTouchesOpenSyllables()
    {
        var only = new HangulObfuscator(new HangulObfuscationOptions { LiaisonRate = 0, FinalInsertionRate = 1, SimilarJamoRate = 0 });
        var text = "아주 좋아요 Good!";
        var result = only.Obfuscate(text, new SplitMix64(7));
        Assert.Equal(text.Length, result.Length);
        Assert.EndsWith(" Good!", result);
        for (int i = 0; i < text.Length; i++)
        {
            if (!HangulSyllable.IsSyllable(text[i])) { Assert.Equal(text[i], result[i]); continue; }
            var a = HangulSyllable.Decompose(text[i]);
            var b = HangulSyllable.Decompose(result[i]);
            Assert.Equal((a.Initial, a.Medial), (b.Initial, b.Medial));
            Assert.NotEqual(0, b.Final);
        }
    }

    [Fact]
    public void SeededAndRateZeroIsIdentity()
    {
        var text = "이 숙소 정말 깨끗하고 직원분들이 친절해요. 다음에 또 올게요!";
        var o = new HangulObfuscator();
        Assert.Equal(o.Obfuscate(text, new SplitMix64(3)), o.Obfuscate(text, new SplitMix64(3)));
        Assert.NotEqual(text, o.Obfuscate(text, new SplitMix64(3)));
        var none = new HangulObfuscator(new HangulObfuscationOptions { LiaisonRate = 0, FinalInsertionRate = 0, SimilarJamoRate = 0 });
        Assert.Equal(text, none.Obfuscate(text, new SplitMix64(3)));
    }

    [Fact]
    public void RatesOutsideZeroOneAreRejected()
    {
        var e = Assert.Throws<DataFormatException>(() => new HangulObfuscator(new HangulObfuscationOptions { LiaisonRate = 1.5 }));
        Assert.Contains("liaison_rate", e.Message);
    }
}
