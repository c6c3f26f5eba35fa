// Issue 14: prompts beyond max_position_embeddings raise a warning naming both numbers and the key; chat history is trimmed to the context.
using TuneSharp.Inference;
using TuneSharp.Testing;

namespace TuneSharp.Inference.Tests;

public sealed class ContextHardeningTests
{
    private static readonly Lazy<Generator> Gen = new(() => Generator.FromPretrained(SharedAssets.Require("models/tinystories-656k")));

    private static Dictionary<string, object?> Msg(string role, string content) => new() { ["role"] = role, ["content"] = content };

    // One token per character of content: lengths are easy to reason about.
    private static int[] Encode(IReadOnlyList<object?> h) => new int[h.Cast<Dictionary<string, object?>>().Sum(m => ((string)m["content"]!).Length)];

    [Fact]
    public void PromptLongerThanThePositionsRaisesAWarning()
    {
        var gen = Gen.Value;
        Assert.Equal(512, gen.MaxPositions);
        var warnings = new List<string>();
        gen.Warning += warnings.Add;
        try
        {
            var prompt = Enumerable.Repeat(1, 600).ToArray();
            gen.Generate(prompt, new GenerationOptions { MaxNewTokens = 1 });
            var w = Assert.Single(warnings);
            Assert.StartsWith("the prompt is 600 tokens, longer than the model's max_position_embeddings 512", w);

            warnings.Clear();
            gen.Generate(Enumerable.Repeat(1, 500).ToArray(), new GenerationOptions { MaxNewTokens = 1 });
            gen.Generate(Enumerable.Repeat(1, 10).ToArray(), new GenerationOptions { MaxNewTokens = 1 });
            Assert.Empty(warnings);
        }
        finally { gen.Warning -= warnings.Add; }
    }

    [Fact]
    public void PromptPlusMaxNewTokensPastThePositionsIsNamed()
    {
        var w = Gen.Value.ContextWarning(400, 200);
        Assert.NotNull(w);
        Assert.StartsWith("the prompt (400 tokens) plus max_new_tokens 200 reaches 600 positions, beyond the model's max_position_embeddings 512", w);
        Assert.Contains("lower max_new_tokens to 112", w);
        Assert.Null(Gen.Value.ContextWarning(400, 112));
    }

    [Fact]
    public void HistoryLosesItsOldestTurnsAndKeepsTheSystemPrompt()
    {
        var history = new List<object?>
        {
            Msg("system", new string('s', 10)),
            Msg("user", new string('a', 30)), Msg("assistant", new string('b', 30)),
            Msg("user", new string('c', 30)), Msg("assistant", new string('d', 30)),
            Msg("user", new string('e', 30)),
        };
        var (ids, dropped) = ChatHistory.Fit(history, Encode, budget: 100);
        // 160 → drop user a + assistant b (100) → fits.
        Assert.Equal(2, dropped);
        Assert.Equal(100, ids.Length);
        Assert.Equal(["system", "user", "assistant", "user"], history.Cast<Dictionary<string, object?>>().Select(m => (string)m["role"]!));
        Assert.StartsWith("c", (string)((Dictionary<string, object?>)history[1]!)["content"]!);
    }

    [Fact]
    public void TheNewestMessageIsNeverDropped()
    {
        var history = new List<object?> { Msg("system", "sys"), Msg("user", "old"), Msg("assistant", "reply"), Msg("user", new string('x', 500)) };
        var (ids, dropped) = ChatHistory.Fit(history, Encode, budget: 100);
        Assert.Equal(2, dropped);
        Assert.Equal(2, history.Count); // system + the newest
        Assert.Equal(503, ids.Length); // still too long: Generator.Warning reports it
    }

    [Fact]
    public void HistoryThatFitsIsUntouched()
    {
        var history = new List<object?> { Msg("user", "hi"), Msg("assistant", "hello"), Msg("user", "again") };
        var (ids, dropped) = ChatHistory.Fit(history, Encode, budget: 100);
        Assert.Equal((12, 0, 3), (ids.Length, dropped, history.Count));
    }

    [Theory]
    [InlineData(512, 128, 384)]
    [InlineData(512, 4000, 256)]
    [InlineData(512, 0, 512)]
    public void BudgetLeavesRoomForTheReply(int positions, int maxNew, int expected) =>
        Assert.Equal(expected, ChatHistory.Budget(positions, maxNew));
}
