// `tunesharp eval`: metrics, SemScore and LLM judge over prediction files (flags or eval.yaml), reports, and `--compare A B`.
using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using TuneSharp.Evaluation;
using TuneSharp.Evaluation.Reports;

namespace TuneSharp.Cli.Commands;

[CliVerb(65)]
public static class EvalCommand
{
    private static readonly JsonSerializerOptions JsonOut = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var predictions = new Option<string?>("--predictions", "-p") { Description = "JSONL rows with \"prediction\" and \"reference\" (optional \"question\")" };
        var metrics = new Option<string>("--metrics", "-m") { Description = "Comma list: exact_match,accuracy,f1,rouge1,rouge2,rougeL,bleu,chrf,chrf++,semscore,judge", DefaultValueFactory = _ => "exact_match,accuracy,f1,rouge1,rouge2,rougeL,bleu,chrf,chrf++" };
        var embedding = new Option<string?>("--embedding-model") { Description = "sentence-transformers folder for semscore" };
        var pooling = new Option<string?>("--pooling") { Description = "mean|cls for an embedding folder without 1_Pooling/config.json" };
        var rougeTok = new Option<string>("--rouge-tokenizer") { Description = "default (rouge-score: [a-z0-9] only) | whitespace | char (for Korean)", DefaultValueFactory = _ => "default" };
        var endpoint = new Option<string?>("--judge-endpoint") { Description = "OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1" };
        var judgeModel = new Option<string?>("--judge-model") { Description = "Judge model name" };
        var keyEnv = new Option<string>("--judge-api-key-env") { Description = "Environment variable holding the judge API key (never printed)", DefaultValueFactory = _ => "OPENAI_API_KEY" };
        var mode = new Option<string>("--judge-mode") { Description = "pointwise (1–5 truthfulness vs reference) | mtbench (1–10) | pairwise (needs --config with two models)", DefaultValueFactory = _ => "pointwise" };
        var prompt = new Option<string?>("--judge-prompt") { Description = "File with the judge's user prompt template ({question} {answer} {reference} {answer_a} {answer_b})" };
        var system = new Option<string?>("--judge-system") { Description = "File with the judge's system prompt" };
        var concurrency = new Option<int>("--judge-concurrency") { Description = "Parallel judge requests", DefaultValueFactory = _ => 4 };
        var retries = new Option<int>("--judge-retries") { Description = "Retries after 429/5xx/timeouts (exponential backoff)", DefaultValueFactory = _ => 4 };
        var timeout = new Option<double>("--judge-timeout") { Description = "Seconds per judge request", DefaultValueFactory = _ => 120 };
        var cache = new Option<string?>("--judge-cache") { Description = "Judgment cache folder (default OUT/judge-cache); a rerun resumes from it" };
        var name = new Option<string?>("--name") { Description = "Model name in the report (default: the predictions file name)" };
        var output = new Option<string?>("--out", "-o") { Description = "Write report.json, report.md, items.csv and PNG plots here" };
        var config = new Option<string?>("--config", "-c") { Description = "eval.yaml: several models (e.g. base vs tuned), metrics, encoder, judge" };
        var compare = new Option<string[]>("--compare") { Description = "Compare two report.json files: --compare A B", Arity = new ArgumentArity(2, 2), AllowMultipleArgumentsPerToken = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: metric name → value (+ judge_mean); with --config, {model: {...}}" };
        var cmd = new Command("eval", "Evaluate predictions: EM/accuracy/F1, ROUGE, BLEU, chrF(++), SemScore, LLM judge; reports and plots");
        foreach (var o in new Option[] { predictions, metrics, embedding, pooling, rougeTok, endpoint, judgeModel, keyEnv, mode, prompt, system, concurrency, retries, timeout, cache, name, output, config, compare, json })
            cmd.Options.Add(o);
        cmd.SetAction((p, ct) => Task.FromResult(Run(() =>
        {
            bool asJson = p.GetValue(json);
            if (p.GetValue(compare) is { Length: 2 } pair)
            {
                var rows = ReportComparer.Compare(pair[0], pair[1]);
                Console.Out.Write(asJson ? ReportComparer.ToJson(rows).ToJsonString(JsonOut) + Environment.NewLine : ReportComparer.Format(rows, pair[0], pair[1]));
                return 0;
            }
            EvalConfig cfg;
            if (p.GetValue(config) is { } cfgPath)
            {
                if (p.GetValue(predictions) is not null) throw new ArgumentException("give either --config or --predictions, not both");
                cfg = EvalConfig.Load(cfgPath);
                if (p.GetValue(output) is { } o) cfg = cfg with { OutputDir = o };
            }
            else
            {
                var preds = p.GetValue(predictions) ?? throw new ArgumentException("give --predictions FILE.jsonl (or --config eval.yaml, or --compare A B)");
                JudgeConfig? judge = null;
                if (p.GetValue(endpoint) is { } ep)
                    judge = new JudgeConfig
                    {
                        Endpoint = ep,
                        Model = p.GetValue(judgeModel) ?? throw new ArgumentException("--judge-endpoint needs --judge-model NAME"),
                        ApiKeyEnv = p.GetValue(keyEnv)!,
                        Mode = JudgeConfig.ParseMode(p.GetValue(mode)!),
                        PromptFile = p.GetValue(prompt),
                        SystemPromptFile = p.GetValue(system),
                        Concurrency = Math.Max(1, p.GetValue(concurrency)),
                        MaxRetries = Math.Max(0, p.GetValue(retries)),
                        TimeoutSeconds = p.GetValue(timeout),
                        CacheDir = p.GetValue(cache),
                    };
                cfg = new EvalConfig
                {
                    Metrics = MetricNames.Parse(p.GetValue(metrics)!),
                    RougeTokenization = EvalConfig.ParseRougeTokenizer(p.GetValue(rougeTok)!),
                    EmbeddingModel = p.GetValue(embedding),
                    Pooling = p.GetValue(pooling),
                    Judge = judge,
                    Models = [(p.GetValue(name) ?? Path.GetFileNameWithoutExtension(preds), preds)],
                    OutputDir = p.GetValue(output),
                };
            }
            var report = cfg.RunAsync(msg => Console.Error.WriteLine(msg), cancellationToken: ct).GetAwaiter().GetResult();
            if (asJson)
            {
                JsonNode outJson = report.Models.Count == 1 && p.GetValue(config) is null
                    ? ReportWriter.MetricsJson(report.Models[0])
                    : new JsonObject(report.Models.Select(m => KeyValuePair.Create(m.Name, (JsonNode?)ReportWriter.MetricsJson(m))));
                Console.Out.WriteLine(outJson.ToJsonString(JsonOut));
            }
            else
            {
                foreach (var m in report.Models)
                {
                    Console.Out.WriteLine($"{m.Name} ({m.Rows.Count} rows)");
                    foreach (var (k, v) in m.Metrics) Console.Out.WriteLine($"  {k,-12} {v.ToString("0.0000", CultureInfo.InvariantCulture)}");
                    if (m.Judge is { } j) Console.Out.WriteLine($"  judge: {j.Scored} scored, {j.Unparsable} unparsable, {j.Failed} failed, {j.CacheHits} cached, tokens {j.PromptTokens}/{j.CompletionTokens}");
                }
                if (report.Pairwise is { } pw) Console.Out.WriteLine($"pairwise: {string.Join(", ", pw.Wins.Select(kv => $"{kv.Key} {kv.Value}"))}; unparsable {pw.Unparsable}, failed {pw.Failed}");
                if (cfg.OutputDir is not null) Console.Out.WriteLine($"report: {Path.Combine(cfg.OutputDir, ReportWriter.MarkdownName)}");
            }
            return 0;
        })));
        return cmd;
    }

    /// <summary>Runs a verb body; failures go to the CLI's one error handler (Program.Main → CliErrorHandler).</summary>
    internal static int Run(Func<int> body) => body();
}
