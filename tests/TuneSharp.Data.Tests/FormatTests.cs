// Prompt formats on real datasets and tokenizers: Alpaca, chat (single/multi-turn, content parts), completion, text, custom.
using System.Text.Json.Nodes;
using TuneSharp.Data.Formatting;
using TuneSharp.Data.Loading;
using TuneSharp.Testing;
using TuneSharp.Tokenizers;

namespace TuneSharp.Data.Tests;

public sealed class FormatTests
{
    private static readonly Lazy<Tokenizer> TinyStories = new(() => Tokenizer.FromPretrained(SharedAssets.Require("models/tinystories-656k")));
    private static readonly Lazy<Tokenizer> Qwen3 = new(() => Tokenizer.FromPretrained(SharedAssets.Require("tokenizers/qwen3")));

    private static PromptFormatter Formatter(PromptFormatKind kind, Tokenizer? tok = null, int max = 0, string? prompt = null, string? response = null) =>
        new(tok ?? TinyStories.Value, new PromptFormatOptions { Kind = kind, MaxSeqLength = max, PromptTemplate = prompt, ResponseTemplate = response });

    [Fact]
    public void AlpacaDemoWithoutInputMasksThePromptAndEndsWithOneEos()
    {
        var ds = DatasetFiles.Load(SharedAssets.Require("datasets/alpaca-demo/alpaca_en_demo.json"));
        var f = Formatter(PromptFormatKind.Alpaca);
        var row = ds.Rows.First(r => string.IsNullOrEmpty(r["input"]?.ToString()));
        var e = f.Format(row, "row");
        var tok = TinyStories.Value;
        Assert.Equal(tok.EosTokenId, e.InputIds[^1]);
        Assert.NotEqual(tok.EosTokenId, e.InputIds[^2]);
        Assert.Equal(tok.EosTokenId, e.Labels[^1]);
        int firstTrained = Array.FindIndex(e.Labels, l => l != -100);
        var prompt = tok.Decode(e.InputIds.AsSpan(0, firstTrained), skipSpecialTokens: true);
        Assert.StartsWith("Below is an instruction that describes a task. Write a response", prompt);
        Assert.EndsWith("Response:", prompt.TrimEnd()); // TinyStories has no '#' token
        Assert.All(e.Labels[firstTrained..], l => Assert.NotEqual(-100, l));
        Assert.Contains(row["output"]!.ToString()[..20], tok.Decode(e.InputIds.AsSpan(firstTrained)));
    }

    [Fact]
    public void AlpacaWithInputUsesTheInputPrompt()
    {
        var row = new JsonObject { ["instruction"] = "Translate.", ["input"] = "hello", ["output"] = "annyeong" };
        var segs = Formatter(PromptFormatKind.Alpaca).Segments(row, "row");
        Assert.Contains("paired with an input", segs[0].Text);
        Assert.Contains("### Input:\nhello\n\n### Response:\n", segs[0].Text);
        Assert.Equal("annyeong", segs[1].Text);
    }

    [Fact]
    public void EosIsNotDuplicatedWhenTheTemplateEndsWithIt()
    {
        var tok = TinyStories.Value;
        var f = Formatter(PromptFormatKind.Custom, prompt: "Q: {q}\nA: ", response: "{a}" + tok.EosToken);
        var e = f.Format(new JsonObject { ["q"] = "Who?", ["a"] = "Tom." }, "row");
        Assert.Equal(tok.EosTokenId, e.InputIds[^1]);
        Assert.NotEqual(tok.EosTokenId, e.InputIds[^2]);
    }

    [Fact]
    public void Gsm8kCompletionOnlyTrainsOnlyTheAnswer()
    {
        var ds = DatasetFiles.Load(SharedAssets.Require("datasets/gsm8k/gsm_8k_train.json")).Take(20);
        var all = Formatter(PromptFormatKind.Alpaca).FormatAll(ds);
        Assert.Equal(20, all.Count);
        Assert.All(all.Examples, e => Assert.True(e.TrainedTokens > 0 && e.TrainedTokens < e.Length));
        var full = new PromptFormatter(TinyStories.Value, new PromptFormatOptions { CompletionOnly = false }).Format(ds[0], "row");
        Assert.Equal(full.InputIds, full.Labels);
    }

    [Fact]
    public void KoreanChatbotCsvWithCustomTemplate()
    {
        var ds = DatasetFiles.Load(SharedAssets.Require("datasets/ko-chatbot/ChatbotData.csv")).Take(50);
        var f = Formatter(PromptFormatKind.Custom, Qwen3.Value, prompt: "질문: {Q}\n답변: ", response: "{A}");
        var out1 = f.FormatAll(ds);
        var e = out1.Examples[0];
        var answer = Qwen3.Value.Decode(e.InputIds.Where((_, i) => e.Labels[i] != -100 && e.Labels[i] != Qwen3.Value.EosTokenId).ToArray());
        Assert.Equal(ds[0]["A"]!.ToString(), answer.Trim());
    }

    [Fact]
    public void TextFormatTrainsOnEverything()
    {
        var e = Formatter(PromptFormatKind.Text).Format(new JsonObject { ["text"] = "Once upon a time there was a ship." }, "row");
        Assert.Equal(e.InputIds, e.Labels);
        Assert.Equal(TinyStories.Value.EosTokenId, e.InputIds[^1]);
    }

    [Fact]
    public void CompletionFormat()
    {
        var e = Formatter(PromptFormatKind.Completion).Format(new JsonObject { ["prompt"] = "The sky is", ["completion"] = " blue." }, "row");
        Assert.Equal(-100, e.Labels[1]);
        Assert.NotEqual(-100, e.Labels[^2]);
    }

    [Fact]
    public void ChatFormatMasksAllButAssistantTurnsWithContentParts()
    {
        var tok = Qwen3.Value;
        var template = ChatTemplate.FromDirectory(SharedAssets.Require("tokenizers/qwen3"));
        var f = new PromptFormatter(tok, new PromptFormatOptions { Kind = PromptFormatKind.Chat, ChatTemplate = template });
        var line = File.ReadLines(SharedAssets.Require("datasets/alpaca-demo/v1_sft_demo.jsonl")).First();
        var e = f.Format(JsonNode.Parse(line)!.AsObject(), "row");
        var trained = tok.Decode(e.InputIds.Where((_, i) => e.Labels[i] != -100).ToArray());
        Assert.Contains("Hello! I am {{name}}", trained);
        Assert.DoesNotContain("user", trained);
        Assert.Contains("<|im_end|>", trained);

        var multi = new JsonObject
        {
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = "1+1?" },
                new JsonObject { ["role"] = "assistant", ["content"] = "2" },
                new JsonObject { ["role"] = "user", ["content"] = "2+2?" },
                new JsonObject { ["role"] = "assistant", ["content"] = "4" }),
        };
        var m = f.Format(multi, "row");
        var text = tok.Decode(m.InputIds.Where((_, i) => m.Labels[i] != -100).ToArray());
        Assert.Contains("2", text);
        Assert.Contains("4", text);
        Assert.DoesNotContain("?", text);
    }

    [Fact]
    public void MtBenchTurnsBecomeAChat()
    {
        var ds = DatasetFiles.Load(SharedAssets.Require("datasets/mt-bench/mt_bench_question.jsonl")).Take(3);
        var conv = ds.Map(r => new JsonObject
        {
            ["messages"] = new JsonArray(r["turns"]!.AsArray().Select(t => (JsonNode)new JsonObject { ["role"] = "user", ["content"] = t!.ToString() }).Take(1)
                .Append(new JsonObject { ["role"] = "assistant", ["content"] = "ok" }).ToArray()),
        });
        var f = new PromptFormatter(Qwen3.Value, new PromptFormatOptions { Kind = PromptFormatKind.Chat, ChatTemplate = ChatTemplate.FromDirectory(SharedAssets.Require("tokenizers/qwen3")) });
        Assert.All(f.FormatAll(conv).Examples, e => Assert.InRange(e.TrainedTokens, 2, 10));
    }

    [Fact]
    public void TruncationWarnsWhenTheResponseIsCutAway()
    {
        var ds = Dataset.FromRows([new JsonObject { ["instruction"] = string.Concat(Enumerable.Repeat("word ", 100)), ["output"] = "answer" }], "mem.json");
        var warnings = new List<string>();
        var r = Formatter(PromptFormatKind.Alpaca, max: 32).FormatAll(ds, warnings.Add);
        Assert.Equal(32, r.Examples[0].Length);
        Assert.Equal(1, r.ResponsesTruncatedAway);
        Assert.Contains("mem.json: row 1", warnings[0]);
        Assert.Contains("max_seq_length 32", warnings[0]);
        // TinyStories has no '#': the Alpaca prompt's "###" markers are reported as unknown characters.
        Assert.StartsWith("tokenizer coverage: mem.json: 6 of", Assert.Single(warnings.Skip(1)));
    }

    [Fact]
    public void MissingFieldNamesTheFieldAndRow()
    {
        var ds = Dataset.FromRows([new JsonObject { ["q"] = "a", ["a"] = "b" }, new JsonObject { ["q"] = "c", ["answr"] = "d" }], "qa.jsonl");
        var f = Formatter(PromptFormatKind.Custom, prompt: "Q: {q}\nA: ", response: "{a}");
        var ex = Assert.Throws<DataFormatException>(() => f.FormatAll(ds));
        Assert.Contains("qa.jsonl: row 2", ex.Message);
        Assert.Contains("'a'", ex.Message);
        Assert.Contains("dataset.columns", ex.Message);
    }

    [Fact]
    public void TemplateWithoutPlaceholderIsRejectedWithAFix()
    {
        var ex = Assert.Throws<DataFormatException>(() => Formatter(PromptFormatKind.Custom, prompt: "Answer the question:"));
        Assert.Contains("no {field} placeholder", ex.Message);
        Assert.Contains("{question}", ex.Message);
    }

    [Fact]
    public void EmptyDatasetAfterFilteringIsAnError()
    {
        var ds = DatasetFiles.Load(SharedAssets.Require("datasets/ko-chatbot/ChatbotData.csv")).Filter(r => r["label"]!.ToString() == "9");
        var ex = Assert.Throws<DataFormatException>(() => Formatter(PromptFormatKind.Alpaca).FormatAll(ds));
        Assert.Contains("no rows", ex.Message);
    }

    [Fact]
    public void ChatWithoutTemplateExplainsTheFix()
    {
        var ex = Assert.Throws<DataFormatException>(() => Formatter(PromptFormatKind.Chat));
        Assert.Contains("tokenizer.chat_template", ex.Message);
    }

    [Fact]
    public void UnknownFormatSuggests()
    {
        var ex = Assert.Throws<DataFormatException>(() => PromptFormatOptions.ParseKind("alpacca"));
        Assert.Contains("did you mean 'alpaca'", ex.Message);
    }
}
