// Exact match and token F1 (SQuAD evaluate-v2.0.py semantics, hand-computed), multiple-choice accuracy, perplexity.
using TuneSharp.Evaluation.Metrics;

namespace TuneSharp.Evaluation.Tests.Metrics;

public sealed class AnswerMetricTests
{
    [Theory]
    [InlineData("The Cat!", "cat", 1.0)]
    [InlineData("  an   apple ", "Apple.", 1.0)]
    [InlineData("cats", "cat", 0.0)]
    [InlineData("선하증권입니다.", "선하증권입니다", 1.0)]
    [InlineData("선하증권입니다。", "선하증권입니다", 0.0)] // CJK punctuation is not in string.punctuation
    [InlineData("", "", 1.0)]
    [InlineData("", "cat", 0.0)]
    [InlineData("cat", "", 0.0)]
    public void ExactMatchFollowsSquad(string prediction, string reference, double expected) =>
        Assert.Equal(expected, ExactMatch.Score(prediction, reference));

    [Theory]
    [InlineData("the cat sat", "a cat sat down", 0.8)] // [cat, sat] vs [cat, sat, down]: p 1, r 2/3
    [InlineData("cat cat", "cat", 2.0 / 3)] // overlap counts multiplicity: 1 shared of 2 predicted
    [InlineData("방이 너무 좁아요", "방이 좁아요", 0.8)]
    [InlineData("dog", "cat", 0.0)]
    [InlineData("", "", 1.0)] // SQuAD v2: both empty → 1
    [InlineData("", "cat", 0.0)]
    [InlineData("the", "cat", 0.0)] // normalises to no tokens
    public void TokenF1FollowsSquad(string prediction, string reference, double expected) =>
        Assert.Equal(expected, TokenF1.Score(prediction, reference), 12);

    [Theory]
    [InlineData("(B)", "B", 1.0)]
    [InlineData("The answer is (C).", "(C)", 1.0)]
    [InlineData("Answer: D", "D", 1.0)]
    [InlineData("A. Paris is the capital", "A", 1.0)]
    [InlineData("정답: B", "B", 1.0)]
    [InlineData("I think (A) but the answer is (B)", "B", 1.0)]
    [InlineData("a cat", "A", 0.0)] // lowercase article is never option A
    [InlineData("", "A", 0.0)]
    [InlineData("관세청", "관세청", 1.0)] // not a letter: exact match
    [InlineData("관세청입니다", "관세청", 0.0)]
    public void AccuracyExtractsChoiceLetters(string prediction, string reference, double expected) =>
        Assert.Equal(expected, Accuracy.Score(prediction, reference));

    [Fact]
    public void PerplexityIsExpOfTokenWeightedLoss()
    {
        Assert.Equal(Math.E, Perplexity.FromLoss(1.0), 12);
        Assert.Equal(1.5, Perplexity.MeanLoss([1.0, 2.0]), 12);
        Assert.Equal((1.0 * 10 + 2.0 * 30) / 40, Perplexity.WeightedLoss([(1.0, 10), (2.0, 30)]), 12);
        Assert.Throws<ArgumentException>(() => Perplexity.MeanLoss([]));
    }
}
