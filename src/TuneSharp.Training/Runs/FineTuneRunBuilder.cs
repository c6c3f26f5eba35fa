// Fluent set-up of a FineTuneRun for C# callers: each call sets RunConfig keys, Build() runs FineTuneRun.FromConfig.
using TuneSharp.Data;
using TuneSharp.Tokenizers;
using TuneSharp.Training.Config;
using TuneSharp.Training.Formatting;

namespace TuneSharp.Training.Runs;

/// <summary>
/// Every method maps to config keys (documented in docs/config-keys.md), so a run built here and the same keys in a
/// YAML file behave identically. <see cref="Data(Dataset, Dataset?)"/> also accepts rows already in memory.
/// </summary>
public sealed class FineTuneRunBuilder
{
    private Dataset? _train;
    private Dataset? _eval;

    internal FineTuneRunBuilder(string modelPath)
    {
        Config.Model.NameOrPath = Path.GetFullPath(modelPath);
    }

    /// <summary>The config being built (every key can be set here directly).</summary>
    public RunConfig Config { get; } = new();

    /// <summary>dataset.path and dataset.format (alpaca, chat, completion, text, custom, tokenized).</summary>
    public FineTuneRunBuilder Data(string path, string format = "alpaca", string? evalPath = null)
    {
        Config.Dataset.Path = Path.GetFullPath(path);
        Config.Dataset.Format = format;
        Config.Dataset.EvalPath = evalPath is null ? null : Path.GetFullPath(evalPath);
        return this;
    }

    /// <summary>Rows already in memory (formatted with dataset.format, mapped with dataset.columns); max_samples and test_size apply.</summary>
    public FineTuneRunBuilder Data(Dataset train, Dataset? eval = null, string format = "alpaca")
    {
        _train = train;
        _eval = eval;
        Config.Dataset.Format = format;
        return this;
    }

    /// <summary>LoRA with rank <paramref name="r"/>, lora_alpha and (optionally) target_modules.</summary>
    public FineTuneRunBuilder Lora(int r = 8, double alpha = 16, params string[] targetModules)
    {
        Config.Lora.Enabled = true;
        Config.Lora.R = r;
        Config.Lora.LoraAlpha = alpha;
        if (targetModules.Length > 0) Config.Lora.TargetModules = [.. targetModules];
        return this;
    }

    /// <summary>QLoRA: NF4 base weights (model.load_in_4bit).</summary>
    public FineTuneRunBuilder QLora(int r = 8, double alpha = 16, params string[] targetModules)
    {
        Config.Model.LoadIn4bit = true;
        return Lora(r, alpha, targetModules);
    }

    /// <summary>Train every weight (lora.enabled false).</summary>
    public FineTuneRunBuilder FullFineTune()
    {
        Config.Lora.Enabled = false;
        return this;
    }

    /// <summary>Sets training.* keys (TrainingArguments names), e.g. <c>t =&gt; { t.MaxSteps = 100; t.LearningRate = 2e-4; }</c>.</summary>
    public FineTuneRunBuilder Training(Action<TrainingOptions> configure)
    {
        configure(Config.Training);
        return this;
    }

    /// <summary>Any other key, e.g. <c>c =&gt; c.Tokenizer.ChatTemplate = "chat.jinja"</c>.</summary>
    public FineTuneRunBuilder Configure(Action<RunConfig> configure)
    {
        configure(Config);
        return this;
    }

    /// <summary>Loads and checks everything (see <see cref="FineTuneRun.FromConfig(RunConfig, Action{string}?)"/>).</summary>
    public FineTuneRun Build(Action<string>? warn = null)
    {
        if (_train == null) return FineTuneRun.FromConfig(Config, warn);
        var train = _train;
        var eval = _eval;
        return FineTuneRun.FromConfig(Config, (tokenizer, _) =>
        {
            var source = RunData.TokenizerSource(Config);
            var formatter = RunData.CreateFormatter(Config, tokenizer ?? throw new ConfigException("in-memory rows need a tokenizer (dataset.format tokenized is for files)"), source);
            Dataset Prepare(Dataset d)
            {
                foreach (var (to, from) in Config.Dataset.Columns) d = d.RenameColumns(new Dictionary<string, string> { [from] = to });
                return d;
            }
            var rows = Prepare(train);
            if (RunData.SampleIndices(Config, rows.Count) is { } keep) rows = rows.Select(keep);
            var trainRows = FormattedData.ToTokenized(formatter.FormatAll(rows, warn).Examples);
            var evalRows = eval is null ? null : FormattedData.ToTokenized(formatter.FormatAll(Prepare(eval), warn).Examples);
            return new RunData(trainRows, evalRows);
        }, warn);
    }
}
