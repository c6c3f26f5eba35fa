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
        var config = Parse(File.ReadAllText(path), path, overrides);
        // Relative paths in a config are relative to the config file, as people expect.
        config.ResolvePaths(Path.GetDirectoryName(Path.GetFullPath(path))!);
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

    private void Normalize()
    {
        if (Model.MaxSeqLength is { } m) Training.MaxSeqLength = m;
        if (Dataset.Packing is { } p) Training.Packing = p;
        if (Tracking.ReportTo is { } r) Training.ReportTo = r;
    }

    private void ResolvePaths(string baseDir)
    {
        static string? Resolve(string? p, string dir) =>
            string.IsNullOrEmpty(p) || Path.IsPathRooted(p) || p.StartsWith('~') ? p : Path.GetFullPath(Path.Combine(dir, p));
        Model.NameOrPath = Resolve(Model.NameOrPath, baseDir);
        // dataset.path/eval_path may be lists (newline-joined by the binder) of files, folders and globs.
        static string? ResolveList(string? p, string dir) => p is null ? null : string.Join('\n', p.Split('\n').Select(x => Resolve(x.Trim(), dir)));
        Dataset.Path = ResolveList(Dataset.Path, baseDir);
        Dataset.EvalPath = ResolveList(Dataset.EvalPath, baseDir);
        Tokenizer.Path = Resolve(Tokenizer.Path, baseDir);
        Lora.InitAdapter = Resolve(Lora.InitAdapter, baseDir);
        Training.OutputDir = Resolve(Training.OutputDir, baseDir)!;
    }
}
