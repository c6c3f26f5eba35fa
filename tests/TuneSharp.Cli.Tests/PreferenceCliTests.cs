// `tunesharp train --method dpo|orpo|simpo`: the trade-preference example, pre-tokenized pairs through flags, and bad
// preference rows reported with their line.
using System.Text.Json.Nodes;
using TuneSharp.Testing;

namespace TuneSharp.Cli.Tests;

[Collection("cli")]
public sealed class PreferenceCliTests(QuickstartModelFixture quickstart) : IClassFixture<QuickstartModelFixture>
{
    private static List<JsonObject> Metrics(string dir) =>
        File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    [Fact]
    public void TradePreferenceExampleRunsDpoWithTrlMetrics()
    {
        var outDir = CliRunner.TempDir("ex-trade-preference");
        try
        {
            var config = Path.Combine(SharedAssets.RepoRoot, "examples", "trade-preference", "config.yaml");
            // No SFT adapter in CI: start from a fresh LoRA instead of outputs/trade-qa.
            var (code, stdout, stderr) = CliRunner.Run("train", "--config", config, $"model.name_or_path={quickstart.ModelDir}", "lora.init_adapter=null",
                "training.max_steps=2", $"training.output_dir={outDir}", "training.logging_steps=1", "training.eval_strategy=steps", "training.eval_steps=2");
            Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
            Assert.Contains("completed at step 2/2", stdout);
            Assert.True(File.Exists(Path.Combine(outDir, "adapter_model.safetensors")));
            var rows = Metrics(outDir);
            var train = rows.Where(r => r.ContainsKey("loss")).ToList();
            Assert.Equal(2, train.Count);
            foreach (var key in new[] { "rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected", "logits/chosen", "logits/rejected" })
                Assert.All(train, r => Assert.True(r.ContainsKey(key), key));
            Assert.Contains(rows, r => r.ContainsKey("eval_rewards/accuracies"));
        }
        finally { Directory.Delete(outDir, true); }
    }

    [Theory]
    [InlineData("dpo", "--loss-type", "ipo")]
    [InlineData("orpo", "--beta", "0.2")]
    [InlineData("simpo", "--simpo-gamma", "0.8")]
    public void TokenizedPairsThroughFlags(string method, string flag, string value)
    {
        var dir = CliRunner.TempDir("cli-pref");
        try
        {
            var data = Path.Combine(dir, "pairs.jsonl");
            File.WriteAllLines(data, [
                """{"prompt_ids": [5, 6, 7], "chosen_ids": [8, 9], "rejected_ids": [10]}""",
                """{"prompt_ids": [11, 12], "chosen_ids": [13, 14, 15], "rejected_ids": [16, 17]}""",
            ]);
            var outDir = Path.Combine(dir, "out");
            var (code, stdout, stderr) = CliRunner.Run("train", "--model", quickstart.ModelDir, "--data", data, "--data-format", "tokenized",
                "--method", method, flag, value, "--max-steps", "2", "--per-device-train-batch-size", "2", "--logging-steps", "1",
                "--output-dir", outDir, "--save-strategy", "no", "--learning-rate", "1e-3");
            Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
            var rows = Metrics(outDir).Where(r => r.ContainsKey("loss")).ToList();
            Assert.Equal(2, rows.Count);
            Assert.All(rows, r => Assert.True(r.ContainsKey("rewards/margins")));
            if (method == "orpo") Assert.All(rows, r => Assert.True(r.ContainsKey("log_odds_ratio") && r.ContainsKey("nll_loss")));
            Assert.Contains($"method: '{method}'", File.ReadAllText(Path.Combine(dir, "out", "run_config.yaml")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void BadPreferenceRowsAreReportedWithTheirLine()
    {
        var dir = CliRunner.TempDir("cli-pref-bad");
        try
        {
            var data = Path.Combine(dir, "pairs.jsonl");
            File.WriteAllLines(data, [
                """{"prompt": "Q1", "chosen": "good", "rejected": "bad"}""",
                """{"prompt": "Q2", "chosen": "same", "rejected": "same"}""",
                "",
                """{"prompt": "Q3", "chosen": "", "rejected": "bad"}""",
            ]);
            var (code, stdout, stderr) = CliRunner.Run("train", "--model", quickstart.ModelDir, "--data", data, "--method", "dpo",
                "--max-steps", "1", "--output-dir", Path.Combine(dir, "out"));
            Assert.NotEqual(0, code);
            Assert.Contains("pairs.jsonl: row 2 (line 2): chosen and rejected answers are identical", stderr);
            Assert.Contains("pairs.jsonl: row 3 (line 4): the chosen answer is empty", stderr);
            Assert.DoesNotContain("   at ", stderr);
            (code, _, stderr) = CliRunner.Run("train", "--model", quickstart.ModelDir, "--data", data, "--method", "dpo", "--loss-type", "robust",
                "--max-steps", "1", "--output-dir", Path.Combine(dir, "out"));
            Assert.NotEqual(0, code);
            Assert.Contains("loss_type 'robust'", stderr);
        }
        finally { Directory.Delete(dir, true); }
    }
}
