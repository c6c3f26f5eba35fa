// `tunesharp train`: LoRA / QLoRA / full SFT from a YAML config and/or kebab-case flags (TrainingArguments names).
using System.CommandLine;
using System.Reflection;
using TuneSharp.Data;
using TuneSharp.Training;
using TuneSharp.Training.Config;
using TuneSharp.Training.Runs;
using TuneSharp.Training.Sft;

namespace TuneSharp.Cli.Commands;

/// <summary>
/// Flags are generated from <see cref="TrainingOptions"/> by reflection (<c>--per-device-train-batch-size</c> …) plus
/// model/data/LoRA flags; each becomes a RunConfig override (<c>training.x=v</c>), so YAML, <c>key=value</c>
/// arguments and flags share one binder and one set of error messages (flags win over the YAML file).
/// The run itself is <see cref="FineTuneRun"/>: everything is validated before the first step; Ctrl-C / SIGTERM saves a
/// checkpoint and exits (exit code 130).
/// </summary>
[CliVerb(20)]
public static class TrainCommand
{
    /// <summary>Non-TrainingOptions flags: flag → (config key, description).</summary>
    private static readonly (string Flag, string Key, string Description)[] ExtraFlags =
    [
        ("--model", "model.name_or_path", "Model folder (config.json + safetensors) or .gguf file"),
        ("--data", "dataset.path", "Training data file (JSONL/JSON/CSV…)"),
        ("--eval-data", "dataset.eval_path", "Evaluation data file"),
        ("--data-format", "dataset.format", "tokenized (input_ids/labels; with --method dpo|orpo|simpo: prompt_ids/chosen_ids/rejected_ids), alpaca, chat, completion, text, custom"),
        ("--test-size", "dataset.test_size", "Hold out this fraction (or count) of the training data for evaluation"),
        ("--tokenizer", "tokenizer.path", "Tokenizer folder when it differs from the model folder"),
        ("--lora-r", "lora.r", "LoRA rank r"),
        ("--lora-alpha", "lora.lora_alpha", "LoRA alpha (scaling = alpha / r)"),
        ("--lora-dropout", "lora.lora_dropout", "Dropout on the LoRA input"),
        ("--target-modules", "lora.target_modules", "Comma-separated module names, e.g. q_proj,k_proj,v_proj,o_proj"),
        ("--modules-to-save", "lora.modules_to_save", "Comma-separated modules trained in full and saved with the adapter"),
        ("--use-rslora", "lora.use_rslora", "rsLoRA scaling alpha / sqrt(r) (true/false)"),
        ("--init-adapter", "lora.init_adapter", "Start LoRA from this PEFT adapter folder instead of a random init"),
        ("--load-in-4bit", "model.load_in_4bit", "QLoRA: quantize frozen linear weights to NF4 (true/false)"),
        ("--double-quant", "model.bnb_4bit_use_double_quant", "NF4 double quantization of the absmax values (true/false)"),
        ("--dtype", "model.dtype", "Base weight storage: auto (as on disk), float32, bfloat16, float16"),
    ];

    private static readonly HashSet<string> ListKeys = ["lora.target_modules", "lora.modules_to_save", "training.report_to"];

    public static Command Create()
    {
        var command = new Command("train", "Fine-tune a model (LoRA by default, QLoRA with --load-in-4bit, full with --full-finetune) with "
            + "transformers TrainingArguments semantics. Use --config FILE.yaml, key=value overrides (training.learning_rate=1e-4) "
            + "and/or flags. Writes checkpoints, metrics.jsonl, TensorBoard runs/ and the final adapter into --output-dir.");
        var config = new Option<string?>("--config") { Description = "Run config YAML (sections model, dataset, tokenizer, lora, training, tracking)" };
        var overrides = new Argument<string[]>("overrides") { Description = "section.key=value overrides", Arity = ArgumentArity.ZeroOrMore };
        var noShuffle = new Option<bool>("--no-shuffle") { Description = "Keep file order (training.shuffle=false)" };
        var full = new Option<bool>("--full-finetune") { Description = "Train every weight instead of a LoRA adapter (lora.enabled=false)" };
        command.Options.Add(config);
        command.Arguments.Add(overrides);
        command.Options.Add(noShuffle);
        command.Options.Add(full);

        var flagOptions = new List<(Option Option, string Key, bool IsBool)>();
        foreach (var (flag, key, description) in ExtraFlags)
        {
            var o = new Option<string?>(flag) { Description = description };
            command.Options.Add(o);
            flagOptions.Add((o, key, false));
        }
        foreach (var prop in typeof(TrainingOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            string snake = ConfigBinder.SnakeCase(prop.Name);
            string flag = "--" + snake.Replace('_', '-');
            if (command.Options.Any(o => o.Name == flag)) continue;
            var type = Nullable.GetUnderlyingType(prop.PropertyType) ?? prop.PropertyType;
            string description = $"training.{snake} ({ConfigKeys.TypeName(prop)}): {prop.GetCustomAttribute<System.ComponentModel.DescriptionAttribute>()?.Description}";
            if (type == typeof(bool))
            {
                var o = new Option<bool?>(flag) { Description = description, Arity = ArgumentArity.ZeroOrOne };
                command.Options.Add(o);
                flagOptions.Add((o, "training." + snake, true));
            }
            else
            {
                var o = new Option<string?>(flag) { Description = description };
                command.Options.Add(o);
                flagOptions.Add((o, "training." + snake, false));
            }
        }

        command.SetAction(parse =>
        {
            var list = new List<string>(parse.GetValue(overrides) ?? []);
            foreach (var stray in list.Where(a => a.StartsWith('-')))
            {
                var hint = Suggest.Closest(stray.Split('=')[0], command.Options.Select(o => o.Name));
                throw new UsageException($"unknown option '{stray}'{(hint != null ? $"; did you mean {hint}?" : "")} (tunesharp train --help lists them)");
            }
            foreach (var (option, key, isBool) in flagOptions)
            {
                var result = parse.GetResult(option);
                if (result == null) continue;
                string value;
                if (isBool) value = (parse.GetValue((Option<bool?>)option) ?? true) ? "true" : "false";
                else value = parse.GetValue((Option<string?>)option) ?? "";
                if (ListKeys.Contains(key) && !value.TrimStart().StartsWith('['))
                    value = "[" + string.Join(", ", value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) + "]";
                list.Add($"{key}={value}");
            }
            if (parse.GetValue(noShuffle)) list.Add("training.shuffle=false");
            if (parse.GetValue(full)) list.Add("lora.enabled=false");
            return Run(parse.GetValue(config), list);
        });
        return command;
    }

    /// <summary>Loads the config, model and data (FineTuneRun), then trains; Ctrl-C / SIGTERM saves a checkpoint (exit code 130).</summary>
    public static int Run(string? configPath, IReadOnlyList<string> overrides)
    {
        var config = configPath != null ? RunConfig.Load(configPath, overrides) : RunConfig.FromOverrides(overrides);
        using var run = FineTuneRun.FromConfig(config, w => Console.Error.WriteLine("warning: " + w));
        // Training runs started outside a pipeline are recorded in the run registry too.
        var recorder = TrainingRunRecorder.Start(config.Training.OutputDir, config.ToYaml());
        try
        {
            var outcome = run.TrainUntilInterrupted(() => Console.Error.WriteLine("interrupt: saving a checkpoint after this step…"));
            recorder.Finish(outcome.Status.ToString().ToLowerInvariant());
            return outcome.Status == TrainStatus.Interrupted ? (int)ExitCode.Interrupted : (int)ExitCode.Success;
        }
        catch
        {
            recorder.Finish("failed");
            throw;
        }
    }
}
