// A seed-style base-vs-tuned evaluation fixture: held-out trade questions, two prediction files, a random MiniLM, a fake judge.
using System.Text.Json.Nodes;
using TuneSharp.Evaluation.Tests.Encoders;
using TuneSharp.Evaluation.Tests.Judge;
using TuneSharp.Testing;

namespace TuneSharp.Evaluation.Tests.Reports;

internal sealed class SeedEvaluation : IDisposable
{
    // (question, reference, base answer, tuned answer): the tuned model learned the glossary; the base model guesses.
    public static readonly (string Q, string Ref, string Base, string Tuned)[] Rows =
    [
        ("What does FOB mean in a sales contract?", "Free On Board", "A kind of shipping box.", "Free On Board"),
        ("What is DDP?", "Delivered Duty Paid", "Cost, Insurance and Freight", "Delivered Duty Paid"),
        ("Which Incoterm puts insurance on the seller: (A) EXW (B) FOB (C) CIF (D) FCA?", "(C)", "The answer is (A).", "The answer is (C)."),
        ("What does a bill of lading prove?", "receipt of the goods by the carrier", "that taxes were paid", "receipt of the goods by the carrier"),
        ("선하증권이란 무엇인가요?", "화물 수령을 증명하는 증권", "은행이 발행하는 어음", "화물 수령을 증명하는 증권"),
        ("수출 신고는 언제 하나요?", "선적 전", "선적 후 한 달 이내", "선적 전에 합니다"),
        ("What is a letter of credit?", "a bank's promise to pay the seller", "a letter from the buyer", "a bank's promise to pay the seller against documents"),
        ("Who pays freight under EXW?", "the buyer", "the seller", "the buyer"),
    ];

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "ts-seed-" + Guid.NewGuid().ToString("N"));
    public FakeOpenAiEndpoint Judge { get; }
    public string EncoderDir { get; }
    public string BasePath => Path.Combine(Root, "base.jsonl");
    public string TunedPath => Path.Combine(Root, "tuned.jsonl");

    public SeedEvaluation()
    {
        Directory.CreateDirectory(Root);
        File.WriteAllLines(BasePath, Rows.Select(r => new JsonObject { ["question"] = r.Q, ["reference"] = r.Ref, ["prediction"] = r.Base }.ToJsonString()));
        File.WriteAllLines(TunedPath, Rows.Select(r => new JsonObject { ["question"] = r.Q, ["reference"] = r.Ref, ["prediction"] = r.Tuned }.ToJsonString()));
        EncoderDir = MiniLmFixture.Folder;
        Judge = new FakeOpenAiEndpoint(FakeOpenAiEndpoint.PerMessageAttempts(TruthfulnessJudge));
    }

    /// <summary>Scores like a truthfulness judge would: 5 when the response contains the reference, 3 for some word overlap, else 1.</summary>
    public static FakeChatReply TruthfulnessJudge(string user, int attempt)
    {
        var reference = LlmJudgeTests.Between(user, "[The Start of Reference Answer]\n", "\n[The End of Reference Answer]") ?? "";
        var answer = LlmJudgeTests.Between(user, "[The Start of Response]\n", "\n[The End of Response]") ?? "";
        int score = answer.Contains(reference, StringComparison.OrdinalIgnoreCase) ? 5
            : reference.Split(' ').Any(w => w.Length > 2 && answer.Contains(w, StringComparison.OrdinalIgnoreCase)) ? 3 : 1;
        return new FakeChatReply(200, $"Compared with the reference. Rating: [[{score}]]");
    }

    /// <summary>A copy of the encoder folder without its weights (enough for tests that break its configuration).</summary>
    public string ConfigOnlyEncoderCopy()
    {
        var to = Path.Combine(Root, "minilm-config-only");
        foreach (var f in Directory.EnumerateFiles(EncoderDir, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".safetensors", StringComparison.Ordinal)))
        {
            var dest = Path.Combine(to, Path.GetRelativePath(EncoderDir, f));
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(f, dest);
        }
        return to;
    }

    public string WriteYaml(string metrics = "[accuracy, rougeL, semscore, judge]", string extraJudge = "")
    {
        var yaml = Path.Combine(Root, "eval.yaml");
        File.WriteAllText(yaml, $"""
            metrics: {metrics}
            rouge_tokenizer: whitespace
            embedding_model: {EncoderDir}
            judge:
              endpoint: {Judge.Endpoint}
              model: fake-judge
              api_key_env: TS_TEST_JUDGE_KEY
              retry_base_delay_seconds: 0.01
            {extraJudge}
            models:
              - name: base
                predictions: base.jsonl
              - name: tuned
                predictions: tuned.jsonl
            output_dir: report
            """);
        return yaml;
    }

    public void Dispose()
    {
        Judge.Dispose();
        // Set TS_EVAL_REPORT_COPY=DIR to keep a generated report (e.g. to look at the PNGs).
        if (Environment.GetEnvironmentVariable("TS_EVAL_REPORT_COPY") is { Length: > 0 } keep && Directory.Exists(Path.Combine(Root, "report")))
            foreach (var f in Directory.EnumerateFiles(Path.Combine(Root, "report")))
            {
                Directory.CreateDirectory(keep);
                File.Copy(f, Path.Combine(keep, Path.GetFileName(f)), true);
            }
        if (Directory.Exists(Root)) Directory.Delete(Root, true);
    }
}
