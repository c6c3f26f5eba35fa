// BLEU and chrF/chrF++ vs sacrebleu's published values (test/test_bleu.py, test_sentence_bleu.py, test_chrf.py, README.md) and hand-computed Korean / empty cases.
using TuneSharp.Evaluation.Metrics;

namespace TuneSharp.Evaluation.Tests.Metrics;

public sealed class SacreBleuTests
{
    // sacrebleu README / test_bleu.py: two reference streams; here one row per segment with both references.
    private static readonly string[] Hyps = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."];
    private static readonly IReadOnlyList<string>[] Refs =
    [
        ["The dog bit the man.", "The dog had bit the man."],
        ["It was not unexpected.", "No one was surprised."],
        ["The man bit him first.", "The man had bitten the dog."],
    ];

    [Fact]
    public void CorpusBleuMatchesTestBleuPy()
    {
        // test_bleu.py test_corpus_bleu_cases (EPSILON 1e-8); README: 82.4/50.0/45.5/37.5, BP 0.943, 17/18.
        var s = new Bleu().Corpus(Hyps, Refs);
        Assert.Equal(48.530827, s.Score, 1e-6);
        Assert.Equal(17, s.SysLen);
        Assert.Equal(18, s.RefLen);
        Assert.Equal(0.943, s.BrevityPenalty, 3);
        Assert.Equal([82.4, 50.0, 45.5, 37.5], s.Precisions.Select(p => Math.Round(p, 1)));
        Assert.Equal(49.1919566, new Bleu(new BleuOptions { Tokenize = "none" }).Corpus(Hyps, Refs).Score, 1e-6);
        Assert.Equal(48.530827, new Bleu(new BleuOptions { SmoothMethod = "none" }).Corpus(Hyps, Refs).Score, 1e-6);
        // Empty hypotheses are kept and score 0.
        Assert.Equal(0.0, new Bleu().Corpus(["", "", ""], Refs).Score);
    }

    [Fact]
    public void VariableReferencesMatchReadme()
    {
        // README "Variable Number of References": the first segment's first reference is ''. BLEU = 29.44, ref_len 19.
        IReadOnlyList<string>[] refs = [["", "The dog had bit the man."], Refs[1], Refs[2]];
        var s = new Bleu().Corpus(Hyps, refs);
        Assert.Equal(29.44, Math.Round(s.Score, 2));
        Assert.Equal(19, s.RefLen);
    }

    [Theory]
    // test_sentence_bleu.py test_cases (EPSILON 1e-3), effective order on.
    [InlineData("exp", null, false, "13a", 8.493)]
    [InlineData("none", null, false, "13a", 0.0)]
    [InlineData("floor", null, false, "13a", 4.51688)]
    [InlineData("floor", 0.5, false, "13a", 10.10)]
    [InlineData("add-k", null, false, "13a", 14.882)]
    [InlineData("add-k", 2.0, false, "13a", 21.389)]
    [InlineData("exp", null, false, "none", 7.347)]
    [InlineData("exp", null, false, "char", 40.8759)]
    [InlineData("exp", null, true, "char", 42.0267)]
    public void SentenceBleuMatchesTestSentenceBleuPy(string smooth, double? value, bool lower, string tok, double expected)
    {
        const string reference = "producţia de zahăr brut se exprimă în zahăr alb;";
        const string system = "Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;";
        var bleu = new Bleu(new BleuOptions { SmoothMethod = smooth, SmoothValue = value, Lowercase = lower, Tokenize = tok, EffectiveOrder = true });
        Assert.Equal(expected, bleu.Sentence(system, [reference]).Score, 1e-3);
        // test_cases_zero_bleu: no shared 13a token → 0 whatever the smoothing.
        if (tok == "13a") Assert.Equal(0.0, bleu.Sentence("this is a cat", ["okay thanks"]).Score);
    }

    [Theory]
    // test_bleu.py test_raw_bleu_cases / test_case_effective_order via raw_corpus_bleu (floor 0.01, tokenize none, effective order).
    [InlineData("this is a test", "this is a test", 1.0)]
    [InlineData("this is a fest", "this is a test", 0.223606797749979)]
    [InlineData("test", "a test", 0.3678794411714425)]
    [InlineData("a little test", "a test", 0.03218297948685433)]
    public void RawCorpusBleuMatches(string hyp, string reference, double expected)
    {
        var bleu = new Bleu(new BleuOptions { SmoothMethod = "floor", SmoothValue = 0.01, Tokenize = "none", EffectiveOrder = true });
        Assert.Equal(expected, bleu.Corpus([hyp], [[reference]]).Score / 100, 1e-8);
    }

    [Fact]
    public void KoreanAndEmptyBleuByHand()
    {
        // 3 tokens, perfect match: sentence BLEU (effective order 3) is 100; corpus BLEU without effective order has no
        // 4-grams, so precisions[3] = 0 → my_log(0) = −9999999999 → 0 (sacrebleu's behaviour for short corpora).
        Assert.Equal(100.0, new Bleu(BleuOptions.Sentence).Sentence("방이 너무 좁아요", ["방이 너무 좁아요"]).Score, 1e-9);
        Assert.Equal(0.0, new Bleu().Corpus(["방이 너무 좁아요"], [["방이 너무 좁아요"]]).Score);
        // Empty reference: ref_len 0, no matches → 0; empty hypothesis → BP 0 → 0.
        Assert.Equal(0.0, new Bleu(BleuOptions.Sentence).Sentence("방이 좁아요", [""]).Score);
        Assert.Equal(0.0, new Bleu(BleuOptions.Sentence).Sentence("", ["방이 좁아요"]).Score);
        // 13a splits ASCII punctuation off Hangul words.
        Assert.Equal("방이 너무 좁아요 .", SacreBleuTokenizer.Tokenize13a("방이 너무 좁아요."));
    }

    [Fact]
    public void CorpusChrFDefaultsMatchReadme()
    {
        // README "chrf.corpus_score(sys, refs)": chrF2 = 59.73.
        Assert.Equal(59.73, Math.Round(new ChrF().Corpus(Hyps, Refs), 2));
    }

    [Theory]
    // test_chrf.py test_cases: char_order 6, word_order 0, beta 3, eps_smoothing (EPSILON 1e-4).
    [InlineData("abcdefg", "hijklmnop", 0.0)]
    [InlineData("a", "b", 0.0)]
    [InlineData("", "b", 0.0)]
    [InlineData("", "reference", 0.0)]
    [InlineData("aa", "ab", 8.3333)]
    [InlineData("a", "a", 16.6667)]
    [InlineData("a b c", "a b c", 50.0)]
    [InlineData("a b c", "abc", 50.0)]
    [InlineData(" risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .", "risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .", 63.361730)]
    [InlineData(" Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. ", "Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.", 64.1302698)]
    [InlineData("Niemand hat die Absicht, eine Mauer zu errichten", "Niemand hat die Absicht, eine Mauer zu errichten", 100.0)]
    public void ChrFEpsSmoothingMatchesTestChrfPy(string hyp, string reference, double expected)
    {
        var chrf = new ChrF(new ChrFOptions { Beta = 3, EpsSmoothing = true });
        Assert.Equal(expected, chrf.Corpus([hyp], [[reference]]), 1e-4);
    }

    [Theory]
    // test_chrf.py test_cases_effective_order (beta 3, eps_smoothing False).
    [InlineData(new[] { "a" }, new[] { "a" }, 100.0)]
    [InlineData(new[] { "" }, new[] { "reference" }, 0.0)]
    [InlineData(new[] { "a b c" }, new[] { "abc" }, 100.0)]
    [InlineData(new[] { "a", "b" }, new[] { "a", "c" }, 50.0)]
    [InlineData(new[] { "aa" }, new[] { "ab" }, 25.0)]
    public void ChrFEffectiveOrderMatchesTestChrfPy(string[] hyps, string[] refs, double expected)
    {
        var chrf = new ChrF(new ChrFOptions { Beta = 3 });
        Assert.Equal(expected, chrf.Corpus(hyps, refs.Select(r => (IReadOnlyList<string>)[r]).ToArray()), 1e-4);
    }

    [Theory]
    // test_chrf.py test_chrf_sentence_level: sentence_chrf(..., eps_smoothing=True), beta 2.
    [InlineData("Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.", "Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.", 39.14078509)]
    [InlineData("Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.", "A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.", 31.22557079)]
    [InlineData("Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.", "Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.", 57.15704367)]
    public void SentenceChrFMatchesTestChrfPy(string hyp, string reference, double expected) =>
        Assert.Equal(expected, new ChrF(new ChrFOptions { EpsSmoothing = true }).Sentence(hyp, [reference]), 1e-4);

    [Theory]
    // test_chrf.py test_cases_keep_whitespace (beta 3, whitespace kept).
    [InlineData("Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich.", "Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.", 67.3481606)]
    [InlineData("risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .", "risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .", 65.2414427)]
    public void ChrFKeepWhitespaceMatchesTestChrfPy(string hyp, string reference, double expected) =>
        Assert.Equal(expected, new ChrF(new ChrFOptions { Beta = 3, Whitespace = true }).Corpus([hyp], [[reference]]), 1e-4);

    [Fact]
    public void ChrFPlusPlusByHand()
    {
        // hyp "ab c" vs ref "a bc": the characters agree at every order (p = r = 1 for orders 1–3; 4–6 have no n-grams),
        // the words share nothing ({ab, c} vs {a, bc}; "ab c" vs "a bc"). chrF = 100; chrF++ averages 3 perfect char
        // orders with 2 zero word orders: p = r = 3/5 → F = 60.
        Assert.Equal(100.0, new ChrF().Sentence("ab c", ["a bc"]), 1e-9);
        Assert.Equal(60.0, new ChrF(ChrFOptions.ChrFPlusPlus).Sentence("ab c", ["a bc"]), 1e-9);
    }

    [Fact]
    public void KoreanChrFByHand()
    {
        // hyp 방이좁아요 (5 chars) vs ref 방이너무좁아요 (7): match/hyp/ref per order 1..5 = 5/5/7, 3/4/6, 1/3/5, 0/2/4,
        // 0/1/3; order 6 has no hypothesis n-gram (not effective). avg p = (1 + 3/4 + 1/3)/5, avg r = (5/7 + 1/2 + 1/5)/5,
        // F2 = 5pr/(4p + r) = 30.22716170. chrF++ adds words 2/2/3 and 0/1/2: p = (2.0833 + 1)/7, r = (1.4143 + 2/3)/7 → 31.79519247.
        Assert.Equal(30.22716170, new ChrF().Sentence("방이 좁아요", ["방이 너무 좁아요"]), 1e-7);
        Assert.Equal(31.79519247, new ChrF(ChrFOptions.ChrFPlusPlus).Sentence("방이 좁아요", ["방이 너무 좁아요"]), 1e-7);
        Assert.Equal(100.0, new ChrF(ChrFOptions.ChrFPlusPlus).Sentence("방이 너무 좁아요", ["방이 너무 좁아요"]), 1e-9);
        Assert.Equal(0.0, new ChrF().Sentence("", ["방이"]));
        Assert.Equal(0.0, new ChrF().Sentence("방이", [""]));
    }
}
