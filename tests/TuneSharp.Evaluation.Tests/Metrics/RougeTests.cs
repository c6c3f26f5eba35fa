// ROUGE-1/2/L vs rouge-score's rouge_scorer_test.py (values from ROUGE-1.5.5 runs) plus hand-computed Korean cases.
using TuneSharp.Evaluation.Metrics;

namespace TuneSharp.Evaluation.Tests.Metrics;

public sealed class RougeTests
{
    private static void Is(RougeScore s, double p, double r, double f, int places = 9)
    {
        Assert.Equal(p, s.Precision, places);
        Assert.Equal(r, s.Recall, places);
        Assert.Equal(f, s.FMeasure, places);
    }

    [Fact]
    public void SmallCasesMatchRougeScorerTest()
    {
        Is(Rouge.N("testing one two", "testing", 1), 1, 1.0 / 3, 0.5);
        Is(Rouge.N("testing one two", "testing one", 2), 1, 0.5, 2.0 / 3);
        Is(Rouge.L("testing one two", "testing one"), 1, 2.0 / 3, 0.8);
        Is(Rouge.L("testing one two", "testing two"), 1, 2.0 / 3, 0.8);
        foreach (var n in new[] { 1, 2 }) Is(Rouge.N("testing one two", "", n), 0, 0, 0);
        Is(Rouge.L("testing one two", ""), 0, 0, 0);
        Is(Rouge.L("", "testing"), 0, 0, 0);
    }

    // rouge/testdata/target.txt and prediction.txt, first two lines (google-research/rouge, Apache-2.0).
    private const string Target0 = "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L\n";
    private const string Target1 = "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN\n";
    private const string Pred0 = "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi\n";
    private const string Pred1 = "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD\n";

    [Fact]
    public void AgainstRouge155MatchRougeScorerTest()
    {
        Is(Rouge.N(Target0, Pred0, 1), 0.68750, 0.40741, 0.51163, 5);
        Is(Rouge.N(Target1, Pred1, 1), 0.65385, 0.40476, 0.50000, 5);
        Is(Rouge.N(Target0, Pred0, 2), 0.53333, 0.30769, 0.39024, 5);
        Is(Rouge.N(Target1, Pred1, 2), 0.48000, 0.29268, 0.36364, 5);
        Is(Rouge.L(Target0, Pred0), 0.68750, 0.40741, 0.51163, 5);
        Is(Rouge.L(Target1, Pred1), 0.65385, 0.40476, 0.50000, 5);
    }

    [Fact]
    public void KoreanByHand()
    {
        const string target = "방이 너무 좁아요", pred = "방이 좁아요";
        // The default tokenizer keeps only [a-z0-9] runs: Hangul yields no tokens, so every score is 0.
        Assert.Empty(Rouge.Tokenize(target));
        Is(Rouge.L(target, pred), 0, 0, 0);
        Is(Rouge.N(target, pred, 1), 0, 0, 0);
        // Whitespace: {방이, 좁아요} ⊂ {방이, 너무, 좁아요}; no shared bigram; LCS 2.
        Is(Rouge.N(target, pred, 1, RougeTokenization.Whitespace), 1, 2.0 / 3, 0.8);
        Is(Rouge.N(target, pred, 2, RougeTokenization.Whitespace), 0, 0, 0);
        Is(Rouge.L(target, pred, RougeTokenization.Whitespace), 1, 2.0 / 3, 0.8);
        // Characters: 5 of 7 unigrams shared (F = 10/12); bigrams 방이, 좁아, 아요 shared: p 3/4, r 3/6, F 0.6; LCS 5.
        Is(Rouge.N(target, pred, 1, RougeTokenization.Character), 1, 5.0 / 7, 10.0 / 12);
        Is(Rouge.N(target, pred, 2, RougeTokenization.Character), 0.75, 0.5, 0.6);
        Is(Rouge.L(target, pred, RougeTokenization.Character), 1, 5.0 / 7, 10.0 / 12);
        // Mixed text keeps its Latin/digit tokens under the default tokenizer.
        Assert.Equal(["fob", "2", "incoterms"], Rouge.Tokenize("FOB는 2가지 Incoterms"));
    }

    [Fact]
    public void MultipleReferencesTakeTheBestFMeasure()
    {
        var s = Rouge.Best(["the cat", "a dog sat"], "a dog sat down", (t, p) => Rouge.L(t, p));
        Is(s, 0.75, 1, 6.0 / 7);
        Is(Rouge.Best([], "x", (t, p) => Rouge.L(t, p)), 0, 0, 0);
    }
}
