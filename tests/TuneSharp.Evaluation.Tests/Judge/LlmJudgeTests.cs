// LLM judge against a fake OpenAI-compatible endpoint on 127.0.0.1: scores, retries after 500/429, timeouts, garbage, cache, pairwise, key handling.
using TuneSharp.Evaluation.Judge;
using TuneSharp.Testing;

namespace TuneSharp.Evaluation.Tests.Judge;

public sealed class LlmJudgeTests : IDisposable
{
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "ts-judge-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_cache)) Directory.Delete(_cache, true);
    }

    /// <summary>Rates by content: "correct" → 5, "partly" → 3, "garbage" → no verdict, anything else → 1.</summary>
    internal static FakeChatReply Rubric(string user, int attempt)
    {
        string answer = Between(user, "[The Start of Response]\n", "\n[The End of Response]") ?? Between(user, "[The Start of Assistant's Answer]\n", "\n[The End of Assistant's Answer]") ?? user;
        if (answer.Contains("garbage")) return new(200, "I cannot decide. Rating: maybe four?");
        if (answer.Contains("flaky500") && attempt == 1) return new(500, "boom");
        if (answer.Contains("flaky429") && attempt <= 2) return new(429, "slow down");
        if (answer.Contains("slow")) return new(200, "Rating: [[4]]", 3000);
        int score = answer.Contains("correct") ? 5 : answer.Contains("partly") ? 3 : 1;
        return new(200, $"The response is judged. Rating: [[{score}]]");
    }

    internal static string? Between(string s, string start, string end)
    {
        int a = s.IndexOf(start, StringComparison.Ordinal);
        if (a < 0) return null;
        a += start.Length;
        int b = s.IndexOf(end, a, StringComparison.Ordinal);
        return b < 0 ? null : s[a..b];
    }

    private JudgeOptions Options(Uri endpoint, JudgeMode mode = JudgeMode.Pointwise) => new()
    {
        Endpoint = endpoint, Model = "judge-model", ApiKey = "sk-test-secret", Mode = mode, CacheDir = _cache,
        RetryBaseDelay = TimeSpan.FromMilliseconds(10), Timeout = TimeSpan.FromMilliseconds(1500), MaxRetries = 3, MaxConcurrency = 3,
    };

    private static readonly JudgeItem[] Items =
    [
        new("What is FOB?", "FOB is correct: free on board.", "Free on board"),
        new("What is CIF?", "It is partly about insurance.", "Cost, insurance and freight"),
        new("What is DDP?", "garbage", "Delivered duty paid"),
        new("선하증권이란?", "flaky500 correct 화물 수령 증권", "화물 수령을 증명하는 증권"),
        new("What is EXW?", "flaky429 wrong", "Ex works"),
    ];

    [Fact]
    public async Task ScoresRetriesGarbageAndUsage()
    {
        using var server = new FakeOpenAiEndpoint(FakeOpenAiEndpoint.PerMessageAttempts(Rubric));
        var judge = new LlmJudge(Options(server.BaseUri));
        var v = await judge.ScoreAsync(Items);
        Assert.Equal([5.0, 3.0, null, 5.0, 1.0], v.Select(x => x.Score));
        Assert.True(v[2].Unparsable);
        Assert.All(v, x => Assert.Null(x.Error));
        var s = judge.Summarize(v);
        Assert.Equal(4, s.Scored);
        Assert.Equal(1, s.Unparsable);
        Assert.Equal(0, s.Failed);
        Assert.Equal((5 + 3 + 5 + 1) / 4.0, s.Mean);
        Assert.Equal(5 * 100, s.PromptTokens); // usage counts successful replies only
        Assert.Equal(2, s.Histogram[5]);
        // 5 prompts + 1 retry after 500 + 2 retries after 429.
        Assert.Equal(8, server.Requests);
        Assert.All(server.AuthorizationHeaders, h => Assert.Equal("Bearer sk-test-secret", h));
        // The key never reaches the cache.
        Assert.DoesNotContain(Directory.EnumerateFiles(_cache, "*.json", SearchOption.AllDirectories), f => File.ReadAllText(f).Contains("sk-test-secret"));
    }

    [Fact]
    public async Task CacheHitsMakeNoRequestsAndKeepUsage()
    {
        using (var server = new FakeOpenAiEndpoint(FakeOpenAiEndpoint.PerMessageAttempts(Rubric)))
            await new LlmJudge(Options(server.BaseUri)).ScoreAsync(Items);
        using var again = new FakeOpenAiEndpoint((_, _) => new FakeChatReply(500, "must not be called"));
        var judge = new LlmJudge(Options(again.BaseUri));
        var v = await judge.ScoreAsync(Items);
        Assert.Equal(0, again.Requests);
        Assert.All(v, x => Assert.True(x.FromCache));
        var s = judge.Summarize(v);
        Assert.Equal(5, s.CacheHits);
        Assert.Equal(500, s.PromptTokens);
        Assert.Equal([5.0, 3.0, null, 5.0, 1.0], v.Select(x => x.Score));
    }

    [Fact]
    public async Task TimeoutsAndPersistentErrorsAreCountedNotFatal()
    {
        // A timeout the prompt answers beat even on a loaded CI machine; only the "slow" one outlasts it.
        using var server = new FakeOpenAiEndpoint((user, _) => user.Contains("slow") ? new FakeChatReply(200, "Rating: [[4]]", 10_000)
            : user.Contains("always500") ? new FakeChatReply(500, "down") : Rubric(user, 1));
        var o = Options(server.BaseUri) with { Timeout = TimeSpan.FromSeconds(1.5), MaxRetries = 1 };
        var judge = new LlmJudge(o);
        var v = await judge.ScoreAsync([new("q", "slow answer", "r"), new("q", "always500", "r"), new("q", "correct", "r")]);
        Assert.Contains("timed out", v[0].Error);
        Assert.Equal("HTTP 500", v[1].Error);
        Assert.Equal(5.0, v[2].Score);
        var s = judge.Summarize(v);
        Assert.Equal(2, s.Failed);
        Assert.Equal(5.0, s.Mean);
        // Failed ones are not cached, so a rerun asks again (resume).
        Assert.Single(Directory.EnumerateFiles(_cache, "*.json", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task UnreachableEndpointIsAClearError()
    {
        var o = Options(new Uri($"http://127.0.0.1:{FakeOpenAiEndpoint.FreePort()}/v1")) with { MaxRetries = 1 };
        var e = await Assert.ThrowsAsync<JudgeException>(() => new LlmJudge(o).ScoreAsync(Items[..2]));
        Assert.Contains("could not be reached", e.Message);
        Assert.Contains("--judge-endpoint", e.Message);
        Assert.DoesNotContain("sk-test-secret", e.Message);
        Assert.Equal(ExitCode.External, e.ExitCode);
    }

    [Fact]
    public async Task MtBenchModeUsesTenPointScaleAndReferencePrompt()
    {
        string? seen = null;
        using var server = new FakeOpenAiEndpoint((user, _) => { seen = user; return new FakeChatReply(200, "Explanation. Rating: [[8]]"); });
        var judge = new LlmJudge(Options(server.BaseUri, JudgeMode.MtBench));
        var v = await judge.ScoreAsync([new("What is FOB?", "free on board", "Free on board")]);
        Assert.Equal(8.0, v[0].Score);
        Assert.Contains("[The Start of Reference Answer]\nFree on board", seen);
        Assert.Equal(10, judge.Summarize(v).Histogram.Keys.Max());
        // Out-of-range ratings are unparsable, not clamped.
        Assert.Null(VerdictParser.Score("Rating: [[11]]", 1, 10));
        Assert.Equal(7.5, VerdictParser.Score("Rating: [7.5]", 1, 10));
    }

    [Fact]
    public async Task PairwiseSwapsPositionsAndNeedsAgreement()
    {
        // Prefers whichever answer says "correct"; a position-biased judge always says A for the "biased" question.
        using var server = new FakeOpenAiEndpoint((user, _) =>
        {
            if (user.Contains("biased")) return new FakeChatReply(200, "[[A]]");
            var a = Between(user, "[The Start of Assistant A's Answer]\n", "\n[The End")!;
            var b = Between(user, "[The Start of Assistant B's Answer]\n", "\n[The End")!;
            return new FakeChatReply(200, a.Contains("correct") == b.Contains("correct") ? "[[C]]" : a.Contains("correct") ? "[[A]]" : "[[B]]");
        });
        var judge = new LlmJudge(Options(server.BaseUri, JudgeMode.Pairwise));
        var v = await judge.CompareAsync(
        [
            new("q1", "base wrong", "r", "tuned correct"),
            new("q2", "base correct", "r", "tuned wrong"),
            new("biased", "x", "r", "y"),
            new("q3", "both correct", "r", "correct too"),
        ]);
        Assert.Equal(["model_b", "model_a", "tie", "tie"], v.Select(x => x.Winner));
        Assert.True(server.Requests >= 8, $"{server.Requests} requests");
        var s = judge.Summarize(v);
        Assert.Equal(2, s.Wins["tie"]);
    }
}
