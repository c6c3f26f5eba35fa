// A whole run config (YAML): model, dataset, tokenizer, lora, training, tracking; with key=value overrides.
using YamlDotNet.RepresentationModel;

namespace TuneSharp.Training.Config;

/// <summary>
/// Loaded from YAML like the configs people write for axolotl or Unsloth scripts:
/// <code>
/// model: {name_or_path: ./my-model, max_seq_length: 512}
/// dataset: {path: data.jsonl, format: alpaca, test_size: 0.1}
/// lora: {r: 16, lora_alpha: 32, target_modules: [q_proj, v_proj]}
/// training: {learning_rate: 2e-4, max_steps: 100}
/// </code>
/// Unknown sections and keys are errors with a "did you mean" suggestion; <see cref="ToYaml"/> writes the
/// effective config (defaults filled in) for the output folder.
/// </summary>
public sealed class RunConfig
{
    public ModelSection Model { get; set; } = new();

    public DatasetSection Dataset { get; set; } = new();

    public TokenizerSection Tokenizer { get; set; } = new();

    public LoraSection Lora { get; set; } = new();

    public TrainingOptions Training { get; set; } = new();

    public TrackingSection Tracking { get; set; } = new();

    /// <summary>Where the config came from (for messages), or null.</summary>
    public string? SourcePath { get; private set; }

    /// <summary>Loads a YAML file and applies <paramref name="overrides"/> ("training.learning_rate=1e-4").</summary>
    public static RunConfig Load(string path, IEnumerable<string>? overrides = null)
    {
        if (!File.Exists(path)) throw new ConfigException($"{path}: config file not found");
        var list = overrides?.ToList() ?? [];
        var config = Parse(File.ReadAllText(path), path, list);
        // Relative paths written in the file are relative to the file, as people expect; paths given on the command
        // line (key=value overrides, flags) are relative to the working directory.
        config.ResolvePaths(Path.GetDirectoryName(Path.GetFullPath(path))!, list.Select(o => o.Split('=', 2)[0].Trim()).ToHashSet(StringComparer.Ordinal));
        return config;
    }

    /// <summary>Parses YAML text; <paramref name="sourceName"/> names it in errors.</summary>
    public static RunConfig Parse(string yaml, string sourceName = "config", IEnumerable<string>? overrides = null)
    {
        var root = YamlTree.Load(yaml, sourceName);
        foreach (var o in overrides ?? []) YamlTree.ApplyOverride(root, o, sourceName);
        var config = new RunConfig { SourcePath = sourceName };
        ConfigBinder.BindSections(config, root, sourceName);
        config.Normalize();
        TrainingOptionsLimits.Validate(config, sourceName);
        return config;
    }

    /// <summary>A config with defaults only (plus overrides), e.g. for flags-only runs.</summary>
    public static RunConfig FromOverrides(IEnumerable<string> overrides) => Parse("{}", "command line", overrides);

    /// <summary>The effective config as YAML (snake_case keys, every option with its value).</summary>
    public string ToYaml() => ConfigBinder.ToYaml(this);

    /// <summary>The keys that hold file or folder paths (resolved against the config file's folder).</summary>
    public static readonly IReadOnlyList<string> PathKeys =
    [
        "model.name_or_path", "dataset.path", "dataset.eval_path", "tokenizer.path", "lora.init_adapter", "training.output_dir",
        "training.logging_dir", "tracking.logging_dir", "training.eval_embedding_model",
    ];

    private void Normalize()
    {
        // Twin keys: the section-specific spelling wins over the training.* one when set.
        if (Model.MaxSeqLength is { } m) Training.MaxSeqLength = m;
        if (Dataset.Packing is { } p) Training.Packing = p;
        if (Tracking.ReportTo is { } r) Training.ReportTo = r;
        if (Tracking.RunName is { } n) Training.RunName = n;
        if (Tracking.LoggingDir is { } l) Training.LoggingDir = l;
    }

    private void ResolvePaths(string baseDir, IReadOnlySet<string> fromCommandLine)
    {
        string? Resolve(string key, string? p)
        {
            if (string.IsNullOrEmpty(p) || Path.IsPathRooted(p) || p.StartsWith('~')) return p;
            return Path.GetFullPath(fromCommandLine.Contains(key) ? p : Path.Combine(baseDir, p));
        }
        // dataset.path/eval_path may be lists (newline-joined by the binder) of files, folders and globs.
        string? ResolveList(string key, string? p) => p is null ? null : string.Join('\n', p.Split('\n').Select(x => Resolve(key, x.Trim())));
        Model.NameOrPath = Resolve("model.name_or_path", Model.NameOrPath);
        Dataset.Path = ResolveList("dataset.path", Dataset.Path);
        Dataset.EvalPath = ResolveList("dataset.eval_path", Dataset.EvalPath);
        Tokenizer.Path = Resolve("tokenizer.path", Tokenizer.Path);
        Lora.InitAdapter = Resolve("lora.init_adapter", Lora.InitAdapter);
        Training.OutputDir = Resolve("training.output_dir", Training.OutputDir)!;
        Training.EvalEmbeddingModel = Resolve("training.eval_embedding_model", Training.EvalEmbeddingModel);
        Tracking.LoggingDir = Resolve("tracking.logging_dir", Tracking.LoggingDir);
        Training.LoggingDir = Tracking.LoggingDir ?? Resolve("training.logging_dir", Training.LoggingDir);
    }
}
