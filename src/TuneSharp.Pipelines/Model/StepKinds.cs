// The built-in step kinds (convert, augment, split, train, predict, eval, export, serve-check, shell) and their command lines.
namespace TuneSharp.Pipelines.Model;

public static class StepKinds
{
    public const string Out = "${out}";

    private static readonly Dictionary<string, StepKind> Kinds = new StepKind[]
    {
        new()
        {
            Name = "convert", Verb = "data", Description = "tunesharp data convert: exam / glossary / llm-extract → instruction JSONL",
            Required = ["converter", "input"], Optional = ["output", "term_column", "english_column", "description_column", "directions", "endpoint", "llm_model", "chunk_chars", "api_key_env", "request_timeout"],
            PathSettings = ["input"],
            Build = (s, p) => Args(["data", "convert", s.Setting("converter")!, "-i", p(s.Setting("input")!), "-o", $"{Out}/{s.Setting("output") ?? "data.jsonl"}"],
                s, ("term_column", "--term-column"), ("english_column", "--english-column"), ("description_column", "--description-column"), ("directions", "--directions"), ("endpoint", "--endpoint"), ("llm_model", "--llm-model"), ("chunk_chars", "--chunk-chars"),
                ("api_key_env", "--api-key-env"), ("request_timeout", "--request-timeout")),
        },
        new()
        {
            Name = "augment", Verb = "data", Description = "tunesharp data augment: seeded Hangul obfuscation copies",
            Required = ["input"], Optional = ["output", "column", "target_column", "copies", "ratio", "keep_originals", "seed", "final_insertion_rate", "liaison_rate", "similar_jamo_rate"],
            PathSettings = ["input"],
            Build = (s, p) => Args(["data", "augment", "-i", p(s.Setting("input")!), "-o", $"{Out}/{s.Setting("output") ?? "data.jsonl"}"],
                s, ("column", "--column"), ("target_column", "--target-column"), ("copies", "--copies"), ("ratio", "--ratio"), ("keep_originals", "--keep-originals"), ("seed", "--seed"),
                ("final_insertion_rate", "--final-insertion-rate"), ("liaison_rate", "--liaison-rate"), ("similar_jamo_rate", "--similar-jamo-rate")),
        },
        new()
        {
            Name = "split", Verb = "pipeline", Description = "seeded train/test split of a dataset file (train.jsonl, test.jsonl)",
            Required = ["input", "test_size"], Optional = ["seed", "keep_empty", "max_rows"],
            PathSettings = ["input"],
            Build = (s, p) => Args(["pipeline", "split", "--input", p(s.Setting("input")!), "--test-size", s.Setting("test_size")!, "--out", Out],
                s, ("seed", "--seed"), ("keep_empty", "--keep-empty"), ("max_rows", "--max-rows")),
        },
        new()
        {
            Name = "train", Verb = "train", Description = "tunesharp train --config FILE with overrides; output_dir is the step's folder",
            Required = ["config"], Optional = ["overrides"],
            PathSettings = ["config"],
            Build = (s, p) =>
            {
                var a = new List<string> { "train", "--config", p(s.Setting("config")!) };
                if (s.Settings.TryGetValue("overrides", out var o) && o.Pairs != null)
                    a.AddRange(o.Pairs.Select(kv => $"{kv.Key}={ResolveOverride(kv.Key, kv.Value, p)}"));
                a.Add($"training.output_dir={Out}");
                return a;
            },
        },
        new()
        {
            Name = "predict", Verb = "pipeline", Description = "batched generation over a dataset → predictions.jsonl (prediction + reference)",
            Required = ["model", "input"],
            Optional = ["adapter", "prompt", "reference", "format", "max_new_tokens", "temperature", "top_p", "top_k", "seed", "stop", "max_rows", "batch_size"],
            PathSettings = ["model", "input", "adapter"],
            Build = (s, p) => Args(["pipeline", "predict", "--model", p(s.Setting("model")!), "--input", p(s.Setting("input")!), "--out", Out],
                s, ("adapter", "--adapter"), ("prompt", "--prompt"), ("reference", "--reference"), ("format", "--format"), ("max_new_tokens", "--max-new-tokens"),
                ("temperature", "--temperature"), ("top_p", "--top-p"), ("top_k", "--top-k"), ("seed", "--seed"), ("stop", "--stop"),
                ("max_rows", "--max-rows"), ("batch_size", "--batch-size")),
        },
        new()
        {
            Name = "eval", Verb = "eval", Description = "tunesharp eval: metrics, SemScore, judge → report.json/md + plots",
            Required = ["predictions"], Optional = ["metrics", "rouge_tokenizer", "embedding_model", "name", "judge_endpoint", "judge_model"],
            PathSettings = ["predictions", "embedding_model"],
            Build = (s, p) => Args(["eval", "--predictions", p(s.Setting("predictions")!), "--out", Out],
                s, ("metrics", "--metrics"), ("rouge_tokenizer", "--rouge-tokenizer"), ("embedding_model", "--embedding-model"), ("name", "--name"),
                ("judge_endpoint", "--judge-endpoint"), ("judge_model", "--judge-model")),
        },
        new()
        {
            Name = "export", Verb = "export", Description = "tunesharp export: merge an adapter into an HF folder or GGUF (checked against adapter-on-base)",
            Required = ["model", "to"], Optional = ["adapter", "quant", "dtype", "check", "file", "tokenizer"],
            PathSettings = ["model", "adapter", "tokenizer"],
            Build = (s, p) =>
            {
                var to = s.Setting("to")!;
                string output = to == "hf" ? $"{Out}/{s.Setting("file") ?? "model"}" : $"{Out}/{s.Setting("file") ?? (to == "gguf-adapter" ? "adapter.gguf" : "model.gguf")}";
                var a = Args(["export", "--model", p(s.Setting("model")!), "--to", to, "--out", output], s, ("adapter", "--adapter"), ("quant", "--quant"),
                    ("dtype", "--dtype"), ("tokenizer", "--tokenizer"));
                if (s.Setting("check") is "false" or "no") a.Add("--no-check");
                return a;
            },
        },
        new()
        {
            Name = "serve-check", Verb = "serve", Description = "start tunesharp serve on 127.0.0.1, send one chat request, stop; response.json",
            Required = ["model", "prompt"], Optional = ["adapter", "max_new_tokens", "stop"],
            PathSettings = ["model", "adapter"],
            Build = (s, p) => Args(["pipeline", "serve-check", "--model", p(s.Setting("model")!), "--prompt", s.Setting("prompt")!, "--out", Out],
                s, ("adapter", "--adapter"), ("max_new_tokens", "--max-new-tokens"), ("stop", "--stop")),
        },
        new()
        {
            Name = "shell", Verb = null, Description = "a bash script (run:), with $OUT the step's output folder",
            Build = (s, _) => ["bash", "-eo", "pipefail", "-c", s.Run!],
        },
    }.ToDictionary(k => k.Name, StringComparer.Ordinal);

    public static IEnumerable<string> Names => Kinds.Keys;

    public static StepKind? Find(string name) => Kinds.GetValueOrDefault(name);

    /// <summary>Train overrides that name files (dataset.path …, model.name_or_path) resolve like every other path.</summary>
    private static string ResolveOverride(string key, string value, Func<string, string> path) =>
        key is "dataset.path" or "dataset.eval_path" or "model.name_or_path" or "tokenizer.path" or "lora.init_adapter" ? path(value) : value;

    public static bool IsPathOverride(string key) => key is "dataset.path" or "dataset.eval_path" or "model.name_or_path" or "tokenizer.path" or "lora.init_adapter";

    private static List<string> Args(List<string> head, StepDefinition s, params (string Key, string Flag)[] flags)
    {
        foreach (var (key, flag) in flags)
        {
            if (!s.Settings.TryGetValue(key, out var v)) continue;
            if (v.Items != null && flag == "--stop") foreach (var item in v.Items) { head.Add(flag); head.Add(item); }
            else { head.Add(flag); head.Add(v.Value); }
        }
        return head;
    }
}
