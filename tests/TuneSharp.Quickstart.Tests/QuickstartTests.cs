// The quickstart end to end in a CI-sized configuration: tokenizer + tiny Llama from scratch, pre-training, LoRA SFT, eval, samples.
using System.Text.Json.Nodes;
using TuneSharp.Tokenizers;


namespace TuneSharp.Quickstart.Tests;

public sealed class QuickstartTests
{
    [Fact]
    public void TinyQuickstartLowersHeldOutLossAndWritesEverything()
    {
        var dir = Directory.CreateTempSubdirectory("tunesharp-quickstart-").FullName;
        try
        {
            var log = new StringWriter();
            // The judge through a fake OpenAI-compatible endpoint: a tuned answer mentioning the term rates higher.
            using var judge = new TuneSharp.Testing.FakeOpenAiEndpoint((user, _) => new(200, "Rating: [[3]]"));
            Environment.SetEnvironmentVariable("TS_QUICKSTART_JUDGE_KEY", "sk-quickstart-test");
            var o = QuickstartOptions.Tiny(dir) with
            {
                PretrainSteps = 20, SftSteps = 20,
                Judge = new Evaluation.JudgeConfig { Endpoint = judge.Endpoint, Model = "fake-judge", ApiKeyEnv = "TS_QUICKSTART_JUDGE_KEY", RetryBaseDelaySeconds = 0.01 },
            };
            var result = new QuickstartRunner(o, log).Run();
            Assert.True(result.TunedEvalLoss < result.BaseEvalLoss, $"tuned {result.TunedEvalLoss} ≥ base {result.BaseEvalLoss}\n{log}");
            Assert.True(result.PretrainFinalLoss < result.PretrainFirstLoss);
            foreach (var f in new[] { "base-model/config.json", "base-model/model.safetensors", "base-model/tokenizer.json", "base-model/tokenizer_config.json",
                                      "adapter/adapter_config.json", "adapter/adapter_model.safetensors", "summary.json" })
                Assert.True(File.Exists(Path.Combine(dir, f)), f);
            var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!;
            Assert.Equal(result.BaseEvalLoss, summary["base_eval_loss"]!.GetValue<double>());
            Assert.Equal(dir, summary["output_dir"]!.GetValue<string>());
            Assert.Single(result.Samples);
            Assert.Contains("[3/4]", log.ToString());
            // The base-vs-tuned evaluation on held-out paraphrases: both models, accuracy and ROUGE-L, report and plots.
            var report = result.Evaluation!;
            Assert.Equal(["base", "tuned"], report.Models.Select(m => m.Name));
            Assert.All(report.Models, m => Assert.Equal(6, m.Rows.Count));
            Assert.All(report.Models, m => Assert.True(m.Metrics.ContainsKey("accuracy") && m.Metrics.ContainsKey("rougeL")));
            foreach (var f in new[] { "report.json", "report.md", "items.csv", "metrics.png" })
                Assert.True(File.Exists(Path.Combine(dir, "eval", f)), f);
            Assert.NotNull(summary["eval"]?["tuned"]?["rougeL"]);
            Assert.Contains("[4/4] base vs tuned", log.ToString());
            Assert.All(report.Models, m => Assert.Equal(3.0, m.Metrics["judge_mean"]));
            Assert.InRange(judge.Requests, 6, 12); // 6 held-out answers × base and tuned (an answer both give is judged once: cache)
            Assert.All(judge.AuthorizationHeaders, h => Assert.Equal("Bearer sk-quickstart-test", h));
            Assert.DoesNotContain("sk-quickstart-test", log.ToString());
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void TrainedTokenizerRoundTripsEnglishAndKorean()
    {
        var dir = Directory.CreateTempSubdirectory("tunesharp-qs-tok-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "tokenizer.json"), ByteBpeTrainer.Train(QuickstartCorpus.AllText(), 400, QuickstartRunner.SpecialTokens));
            var tok = Tokenizer.FromPretrained(dir);
            Assert.Equal(400, tok.VocabSize);
            foreach (var s in new[] { "A bill of lading is a document.", "선하증권은 운송인이 발행합니다.", "<|im_start|>user\nhi<|im_end|>", "émoji 🚢 + tabs\t!" })
                Assert.Equal(s, tok.Decode(tok.Encode(s, addSpecialTokens: false)));
            var ids = tok.Encode("<|im_end|>", addSpecialTokens: false);
            Assert.Equal(tok.TokenToId("<|im_end|>"), Assert.Single(ids));
            // Merges compress the training text well below one token per byte.
            var text = "In international trade, the term letter of credit refers to a promise";
            Assert.True(tok.Encode(text, false).Length < text.Length / 2);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void CorpusIsProjectAuthoredAndBilingual()
    {
        var pre = QuickstartCorpus.PretrainingText();
        var ins = QuickstartCorpus.Instructions();
        Assert.True(pre.Count >= 100);
        Assert.Equal(TradeGlossary.Terms.Count * QuickstartCorpus.InstructionsPerTerm, ins.Count);
        // Held-out questions ask about trained terms in words the training questions never use.
        var held = QuickstartCorpus.HeldOutQuestions();
        static string Question(JsonObject r) => r["messages"]![0]!["content"]!.GetValue<string>();
        var trainedQuestions = ins.Rows.Select(Question).ToHashSet();
        Assert.Equal(TradeGlossary.Terms.Count * 3, held.Count);
        Assert.All(held.Rows, r => Assert.DoesNotContain(Question(r), trainedQuestions));
        Assert.Equal(ins.Rows.Select(r => r["term"]!.GetValue<string>()).ToHashSet(), held.Rows.Select(r => r["term"]!.GetValue<string>()).ToHashSet());
        Assert.Contains(pre.Rows, r => r["text"]!.GetValue<string>().Any(c => c is >= '가' and <= '힣'));
    }
}
