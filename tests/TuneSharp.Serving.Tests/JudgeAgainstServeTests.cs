// The evaluation's LLM judge against `tunesharp serve` itself (the OpenAI wire format end to end): auth, chat
// completions, usage totals, verdict parsing of real model text, the judgment cache; and a wrong key reported as such.
using TuneSharp.Evaluation.Judge;

namespace TuneSharp.Serving.Tests;

[Collection("server")]
public sealed class JudgeAgainstServeTests(ServerFixture server) : IDisposable
{
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "ts-judge-serve-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_cache)) Directory.Delete(_cache, true);
    }

    // TinyStories has 512 positions: a short rubric keeps each judge prompt well inside them.
    private JudgeOptions Options(string key) => new()
    {
        Endpoint = server.V1, Model = server.Model, ApiKey = key, CacheDir = _cache,
        SystemPrompt = "Rate the story.", PromptTemplate = "Story: {answer}\nRating: [[",
        MaxTokens = 8, MaxRetries = 1, RetryBaseDelay = TimeSpan.FromMilliseconds(10), Timeout = TimeSpan.FromSeconds(30),
    };

    private static readonly JudgeItem[] Items =
    [
        new("Tell a story.", "Once upon a time there was a little dog.", "A story"),
        new("Tell a story.", "Lily went to the park with her mom.", "A story"),
        new("Tell a story.", "The sun was hot and the cat slept.", "A story"),
    ];

    [Fact]
    public async Task JudgeScoresThroughTheServerAndCachesItsJudgments()
    {
        var judge = new LlmJudge(Options(ServerFixture.Key));
        var verdicts = await judge.ScoreAsync(Items);
        // Every request reached the model and came back: each item is scored or counted unparsable, none failed.
        Assert.All(verdicts, v => Assert.Null(v.Error));
        Assert.All(verdicts, v => Assert.False(string.IsNullOrEmpty(v.RawText)));
        Assert.All(verdicts, v => Assert.True(v.Score is not null || v.Unparsable));
        var summary = judge.Summarize(verdicts);
        Assert.Equal(3, summary.Items);
        Assert.Equal(0, summary.Failed);
        Assert.True(summary.PromptTokens > 0 && summary.CompletionTokens > 0, "usage totals come from the server's usage field");
        // A second judge over the same cache answers every item from it, with the same text.
        var again = new LlmJudge(Options(ServerFixture.Key));
        var cached = await again.ScoreAsync(Items);
        Assert.All(cached, v => Assert.True(v.FromCache));
        Assert.Equal(verdicts.Select(v => v.RawText), cached.Select(v => v.RawText));
    }

    [Fact]
    public async Task WrongKeyIsReportedAsAnAuthFailureWithoutTheKey()
    {
        var judge = new LlmJudge(Options("sk-wrong-secret") with { CacheDir = null });
        IReadOnlyList<JudgeVerdict> verdicts;
        try { verdicts = await judge.ScoreAsync(Items.Take(1).ToArray()); }
        catch (JudgeException e)
        {
            Assert.DoesNotContain("sk-wrong-secret", e.Message);
            return;
        }
        var v = Assert.Single(verdicts);
        Assert.NotNull(v.Error);
        Assert.Contains("401", v.Error);
        Assert.DoesNotContain("sk-wrong-secret", v.Error);
    }
}
