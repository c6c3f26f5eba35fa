// An evaluation run: metrics, encoder, judge and the models' prediction files; read from eval.yaml or built from flags.
using TuneSharp.Evaluation.Metrics;
using TuneSharp.Evaluation.Reports;
using TuneSharp.Models.Encoders;
using YamlDotNet.RepresentationModel;

namespace TuneSharp.Evaluation;

/// <summary>
/// eval.yaml:
/// <code>
/// metrics: [accuracy, rougeL, semscore, judge]
/// rouge_tokenizer: default | whitespace | char
/// embedding_model: models/all-MiniLM-L6-v2      # sentence-transformers folder
/// pooling: mean | cls                           # only for folders without 1_Pooling
/// judge: {endpoint: http://127.0.0.1:8000/v1, model: NAME, api_key_env: OPENAI_API_KEY, mode: pointwise | mtbench | pairwise,
///         prompt_file: F, system_prompt_file: F, concurrency: 4, max_retries: 4, timeout_seconds: 120, cache_dir: D}
/// models:
///   - {name: base, predictions: base.jsonl}
///   - {name: tuned, predictions: tuned.jsonl}
/// output_dir: eval-report
/// </code>
/// Relative paths are relative to the YAML file.
/// </summary>
public sealed record EvalConfig
{
    public required IReadOnlyList<string> Metrics { get; init; }
    public RougeTokenization RougeTokenization { get; init; } = RougeTokenization.Default;
    public string? EmbeddingModel { get; init; }
    public string? Pooling { get; init; }
    public JudgeConfig? Judge { get; init; }
    public required IReadOnlyList<(string Name, string Predictions)> Models { get; init; }
    public string? OutputDir { get; init; }

    public static RougeTokenization ParseRougeTokenizer(string s) => s.ToLowerInvariant() switch
    {
        "default" => RougeTokenization.Default,
        "whitespace" or "space" => RougeTokenization.Whitespace,
        "char" or "character" => RougeTokenization.Character,
        _ => throw new EvaluationInputException($"unknown ROUGE tokenizer \"{s}\"; use default, whitespace or char", ExitCode.Usage),
    };

    public static PoolingConfig ParsePooling(string s) => s.ToLowerInvariant() switch
    {
        "mean" => PoolingConfig.Mean,
        "cls" => PoolingConfig.Cls,
        _ => throw new EvaluationInputException($"unknown pooling \"{s}\"; use mean or cls", ExitCode.Usage),
    };

    public static EvalConfig Load(string path)
    {
        if (!File.Exists(path)) throw new EvaluationInputException($"{path}: evaluation config not found", ExitCode.Config);
        var stream = new YamlStream();
        try { using var reader = new StreamReader(path); stream.Load(reader); }
        catch (YamlDotNet.Core.YamlException e) { throw new EvaluationInputException($"{path}:{e.Start.Line}: invalid YAML ({e.Message})", ExitCode.Config); }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new EvaluationInputException($"{path}: expected a mapping with metrics, models and output_dir", ExitCode.Config);
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string Rel(string p) => Path.IsPathRooted(p) ? p : Path.GetFullPath(Path.Combine(dir, p));
        EvaluationInputException Bad(YamlNode node, string msg) => new($"{path}:{node.Start.Line}: {msg}", ExitCode.Config);
        string Scalar(YamlNode node, string key) => node is YamlScalarNode s && s.Value is not null ? s.Value : throw Bad(node, $"\"{key}\" must be a single value");

        IReadOnlyList<string>? metrics = null;
        var rouge = RougeTokenization.Default;
        string? embedding = null, pooling = null, output = null;
        JudgeConfig? judge = null;
        var models = new List<(string, string)>();
        foreach (var (k, v) in root.Children)
        {
            string key = Scalar(k, "key");
            switch (key)
            {
                case "metrics":
                    metrics = MetricNames.Parse(v is YamlSequenceNode seq ? string.Join(',', seq.Children.Select(c => Scalar(c, "metrics"))) : Scalar(v, key));
                    break;
                case "rouge_tokenizer": rouge = ParseRougeTokenizer(Scalar(v, key)); break;
                case "embedding_model": embedding = Rel(Scalar(v, key)); break;
                case "pooling": pooling = Scalar(v, key); ParsePooling(pooling); break;
                case "output_dir": output = Rel(Scalar(v, key)); break;
                case "judge":
                    if (v is not YamlMappingNode jm) throw Bad(v, "\"judge\" must be a mapping (endpoint, model, …)");
                    var j = new Dictionary<string, (string Value, YamlNode Node)>();
                    foreach (var (jk, jv) in jm.Children) j[Scalar(jk, "judge key")] = (Scalar(jv, Scalar(jk, "judge key")), jv);
                    string[] allowed = ["endpoint", "model", "api_key_env", "mode", "prompt_file", "system_prompt_file", "concurrency", "max_retries", "timeout_seconds", "retry_base_delay_seconds", "cache_dir"];
                    foreach (var (jk, (_, node)) in j)
                    {
                        if (jk is "api_key" or "key") throw Bad(node, "do not put API keys in config files; name the environment variable that holds it with \"api_key_env\"");
                        if (!allowed.Contains(jk)) throw Bad(node, $"unknown judge key \"{jk}\"; allowed: {string.Join(", ", allowed)}");
                    }
                    string Need(string name) => j.TryGetValue(name, out var x) ? x.Value : throw Bad(jm, $"judge needs \"{name}\"");
                    int Int(string name, int d) => j.TryGetValue(name, out var x) ? int.TryParse(x.Value, out var i) && i >= 0 ? i : throw Bad(x.Node, $"\"{name}\" must be a non-negative integer") : d;
                    double Dbl(string name, double d) => j.TryGetValue(name, out var x) ? double.TryParse(x.Value, System.Globalization.CultureInfo.InvariantCulture, out var f) && f > 0 ? f : throw Bad(x.Node, $"\"{name}\" must be a positive number") : d;
                    judge = new JudgeConfig
                    {
                        Endpoint = Need("endpoint"),
                        Model = Need("model"),
                        ApiKeyEnv = j.TryGetValue("api_key_env", out var env) ? env.Value : "OPENAI_API_KEY",
                        Mode = j.TryGetValue("mode", out var mode) ? JudgeConfig.ParseMode(mode.Value) : TuneSharp.Evaluation.Judge.JudgeMode.Pointwise,
                        PromptFile = j.TryGetValue("prompt_file", out var pf) ? Rel(pf.Value) : null,
                        SystemPromptFile = j.TryGetValue("system_prompt_file", out var sf) ? Rel(sf.Value) : null,
                        Concurrency = Math.Max(1, Int("concurrency", 4)),
                        MaxRetries = Int("max_retries", 4),
                        TimeoutSeconds = Dbl("timeout_seconds", 120),
                        RetryBaseDelaySeconds = Dbl("retry_base_delay_seconds", 1),
                        CacheDir = j.TryGetValue("cache_dir", out var cd) ? Rel(cd.Value) : null,
                    };
                    break;
                case "models":
                    if (v is not YamlSequenceNode ms) throw Bad(v, "\"models\" must be a list of {name, predictions}");
                    foreach (var item in ms.Children)
                    {
                        if (item is not YamlMappingNode mm) throw Bad(item, "each model is a mapping {name: …, predictions: FILE.jsonl}");
                        var fields = mm.Children.ToDictionary(kv => Scalar(kv.Key, "model key"), kv => Scalar(kv.Value, "model value"));
                        foreach (var f in fields.Keys.Where(f => f is not ("name" or "predictions")))
                            throw Bad(item, $"unknown model key \"{f}\" (allowed: name, predictions; running models comes with `tunesharp predict`)");
                        if (!fields.TryGetValue("predictions", out var preds)) throw Bad(item, "model needs \"predictions\" (a JSONL file of prediction/reference rows)");
                        models.Add((fields.GetValueOrDefault("name") ?? Path.GetFileNameWithoutExtension(preds), Rel(preds)));
                    }
                    break;
                default:
                    throw Bad(k, $"unknown key \"{key}\"; allowed: metrics, rouge_tokenizer, embedding_model, pooling, judge, models, output_dir");
            }
        }
        if (metrics is null) throw new EvaluationInputException($"{path}: no \"metrics\" list (e.g. metrics: [accuracy, rougeL, semscore])", ExitCode.Config);
        if (models.Count == 0) throw new EvaluationInputException($"{path}: no \"models\"; list at least one {{name, predictions}}", ExitCode.Config);
        if (models.Select(m => m.Item1).Distinct().Count() != models.Count) throw new EvaluationInputException($"{path}: model names must be unique", ExitCode.Config);
        return new EvalConfig { Metrics = metrics, RougeTokenization = rouge, EmbeddingModel = embedding, Pooling = pooling, Judge = judge, Models = models, OutputDir = output };
    }

    /// <summary>Loads the encoder and resolves the judge key; errors name what is missing.</summary>
    public EvaluationOptions CreateOptions(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        SentenceEncoder? encoder = null;
        if (Metrics.Contains(MetricNames.SemScore))
        {
            if (EmbeddingModel is null) throw new EvaluationInputException("semscore needs an embedding model: --embedding-model DIR (or embedding_model: in eval.yaml), a sentence-transformers folder", ExitCode.Usage);
            encoder = SentenceEncoder.FromFolder(EmbeddingModel, Pooling is null ? null : ParsePooling(Pooling));
        }
        if (Metrics.Contains(MetricNames.Judge) && Judge is null)
            throw new EvaluationInputException("the judge metric needs --judge-endpoint URL and --judge-model NAME (or a judge: section in eval.yaml)", ExitCode.Usage);
        return new EvaluationOptions
        {
            Metrics = Metrics,
            RougeTokenization = RougeTokenization,
            Encoder = encoder,
            Judge = Metrics.Contains(MetricNames.Judge) ? Judge!.ToOptions(OutputDir, environment) : null,
        };
    }

    /// <summary>Reads every model's predictions, evaluates them, and writes the report when an output folder is set.</summary>
    public async Task<EvaluationReport> RunAsync(Action<string>? log = null, Func<string, string?>? environment = null, CancellationToken cancellationToken = default)
    {
        var options = CreateOptions(environment);
        var inputs = Models.Select(m => (m.Name, PredictionReader.ReadJsonl(m.Predictions), (string?)m.Predictions)).ToList();
        var report = await new EvaluationRunner(options, log).EvaluateAsync(inputs, cancellationToken).ConfigureAwait(false);
        if (OutputDir is not null)
        {
            ReportWriter.Write(report, OutputDir);
            log?.Invoke($"report written to {OutputDir}");
        }
        return report;
    }
}
