// `tunesharp train`: LoRA / QLoRA / full SFT from a YAML config and/or kebab-case flags (TrainingArguments names).
using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;
using TuneSharp.Data;
using TuneSharp.Data.Formatting;
using TuneSharp.Data.Loading;
using TuneSharp.Models;
using TuneSharp.Nn;
using TuneSharp.Nn.Lora;
using TuneSharp.Nn.Peft;
using TuneSharp.Tokenizers;
using TuneSharp.Training;
using TuneSharp.Training.Config;
using TuneSharp.Training.Sft;
using TuneSharp.Tensors.IO;

namespace TuneSharp.Cli.Commands;

/// <summary>
/// Flags are generated from <see cref="TrainingOptions"/> by reflection (<c>--per-device-train-batch-size</c> …) plus
/// model/data/LoRA flags; each becomes a RunConfig override (<c>training.x=v</c>), so YAML, <c>key=value</c>
/// arguments and flags share one binder and one set of error messages (flags win over the YAML file).
/// Everything is validated before the first step; Ctrl-C / SIGTERM saves a checkpoint and exits (exit code 130).
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
        ("--data-format", "dataset.format", "tokenized (input_ids/labels), alpaca, chat, completion, text, custom"),
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
        ("--dtype", "model.dtype", "Weight storage: auto, float32, bfloat16, float16"),
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
            string description = $"training.{snake} ({Describe(type)})";
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
                var known = command.Options.Select(o => o.Name);
                var hint = Suggest.Closest(stray.Split('=')[0], known);
                Console.Error.WriteLine($"error: unknown option '{stray}'{(hint != null ? $"; did you mean {hint}?" : "")} (tunesharp train --help lists them)");
                return 2;
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

    private static string Describe(Type t) =>
        t == typeof(int) ? "integer" : t == typeof(double) ? "number" : t == typeof(ulong) ? "integer ≥ 0" : t == typeof(bool) ? "true/false" : t == typeof(string) ? "text" : "comma-separated list";

    /// <summary>Loads the config, model and data, validates everything, trains. Exit codes: 0 ok, 2 bad input, 3 diverged, 130 interrupted.</summary>
    public static int Run(string? configPath, IReadOnlyList<string> overrides)
    {
        RunConfig config;
        CausalLM? model = null;
        try
        {
            config = configPath != null ? RunConfig.Load(configPath, overrides) : RunConfig.FromOverrides(overrides);
            var (m, trainer) = Prepare(config);
            model = m;
            using var cts = new CancellationTokenSource();
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; Console.Error.WriteLine("interrupt: saving a checkpoint after this step…"); cts.Cancel(); });
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });
            AtomicFile.WriteAllText(Path.Combine(config.Training.OutputDir, "run_config.yaml"), config.ToYaml());
            var recorder = TrainingRunRecorder.Start(config.Training.OutputDir, config.ToYaml());
            try
            {
                var outcome = trainer.Train(cts.Token);
                recorder.Finish(outcome.Status);
                return outcome.Status == "interrupted" ? 130 : 0;
            }
            catch
            {
                recorder.Finish("failed");
                throw;
            }
        }
        catch (TrainingDivergedException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 3;
        }
        catch (Exception e) when (e is ConfigException or TrainingSetupException or ModelLoadException or DataFormatException or ArgumentException
            or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or NotSupportedException or TokenizerFormatException
            or Models.Config.ConfigException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        finally { model?.Dispose(); }
    }

    /// <summary>Model + adapter + data + trainer, every check done (nothing trained yet).</summary>
    public static (CausalLM Model, SftTrainer Trainer) Prepare(RunConfig config)
    {
        var t = config.Training;
        if (string.IsNullOrWhiteSpace(config.Model.NameOrPath)) throw new TrainingSetupException("no model: pass --model DIR or set model.name_or_path");
        if (string.IsNullOrWhiteSpace(config.Dataset.Path) && config.Dataset.DataFiles.Count == 0) throw new TrainingSetupException("no data: pass --data FILE or set dataset.path");
        var loraConfig = config.Lora.Enabled ? new LoraConfig
        {
            R = config.Lora.R,
            LoraAlpha = config.Lora.LoraAlpha,
            LoraDropout = (float)config.Lora.LoraDropout,
            TargetModules = config.Lora.TargetModules,
            UseRslora = config.Lora.UseRslora,
            Bias = config.Lora.Bias,
            ModulesToSave = config.Lora.ModulesToSave,
            BaseModelNameOrPath = config.Model.NameOrPath,
        } : null;
        if (config.Lora.InitAdapter == null) loraConfig?.Validate(); // rank 0 etc. fail before the model loads
        if (config.Training.Threads > 0) Tensors.Threading.KernelPool.Threads = config.Training.Threads;

        var dtype = config.Model.Dtype.Trim().ToLowerInvariant() switch
        {
            "auto" => ModelDType.Auto,
            "float32" or "fp32" or "f32" => ModelDType.Float32,
            "bfloat16" or "bf16" => ModelDType.BFloat16,
            var other => throw new TrainingSetupException($"model.dtype '{other}' is not one of auto, float32, bfloat16"),
        };
        var model = CausalLM.FromPretrained(config.Model.NameOrPath, new ModelLoadOptions { DType = dtype });
        try
        {
            LoraModel? lora = null;
            if (loraConfig != null)
            {
                var linears = model.Linears.Select(l => (l.Name, l)).ToList();
                // lm_head takes LoRA (folded into the fused loss as W + s·B·A) or modules_to_save; embed_tokens takes
                // PEFT's embedding LoRA (lora_embedding_A/B).
                if (loraConfig.IsTarget("lm_head") || loraConfig.ModulesToSave.Any(m => LoraConfig.MatchesSuffix("lm_head", m)))
                    linears.Add(("lm_head", model.LmHead));
                var embeddings = new List<(string Name, Embedding Layer)> { ("model.embed_tokens", model.EmbedTokens) };
                string[] others = ["model.embed_tokens", "lm_head"];
                if (config.Model.LoadIn4bit) LoraModel.QuantizeBaseWeights(model.Linears, config.Model.Bnb4bitUseDoubleQuant);
                lora = config.Lora.InitAdapter != null
                    ? PeftAdapter.Load(config.Lora.InitAdapter, linears, others.Where(o => !linears.Any(l => l.Name == o)), embeddings)
                    : LoraModel.Inject(linears, loraConfig, seed: unchecked((int)t.Seed), others.Where(o => !linears.Any(l => l.Name == o)), embeddings);
            }
            else
            {
                if (config.Model.LoadIn4bit) throw new TrainingSetupException("model.load_in_4bit needs LoRA (QLoRA); full fine-tuning trains F32 weights");
                model.MakeAllTrainable();
            }

            string modelDir = Directory.Exists(config.Model.NameOrPath) ? config.Model.NameOrPath : Path.GetDirectoryName(Path.GetFullPath(config.Model.NameOrPath))!;
            string tokDir = config.Tokenizer.Path ?? modelDir;
            var (train, eval) = LoadData(config, tokDir, model.Config.VocabSize);
            var trainer = new SftTrainer(model, tokDir, t, train, eval, lora);
            return (model, trainer);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static (List<TokenizedExample> Train, List<TokenizedExample>? Eval) LoadData(RunConfig config, string tokDir, int vocab)
    {
        var d = config.Dataset;
        bool tokenized = d.Format.Trim().Equals("tokenized", StringComparison.OrdinalIgnoreCase);
        List<TokenizedExample> Load(string? path, string split)
        {
            if (tokenized) return TokenizedJsonl.Load(path!, vocab);
            var tok = Tokenizer.FromPretrained(tokDir);
            var kind = PromptFormatOptions.ParseKind(d.Format);
            var formatter = new PromptFormatter(tok, new PromptFormatOptions
            {
                Kind = kind,
                PromptTemplate = d.Template,
                // response_template is the {field} template of the custom format and TRL's response marker otherwise.
                ResponseTemplate = kind == PromptFormatKind.Custom ? d.ResponseTemplate : null,
                ResponseMarker = kind == PromptFormatKind.Custom ? null : d.ResponseTemplate,
                InstructionMarker = d.InstructionTemplate,
                ChatTemplate = kind == PromptFormatKind.Chat ? TuneSharp.Training.Formatting.ChatTemplateSetting.Resolve(config.Tokenizer.ChatTemplate, config.SourcePath, tokDir, tok) : null,
                CompletionOnly = config.Training.CompletionOnlyLoss,
                MaxSeqLength = config.Training.MaxSeqLength,
            });
            var ds = DatasetFiles.LoadSplit(DatasetSources.SplitList(path), split, DatasetSources.ParseDataFiles(d.DataFiles),
                config.SourcePath is { } sp ? Path.GetDirectoryName(Path.GetFullPath(sp)) : null, DatasetFiles.ParseFormat(d.FileFormat));
            foreach (var (to, from) in d.Columns) ds = ds.RenameColumns(new Dictionary<string, string> { [from] = to });
            return formatter.FormatAll(ds, w => Console.Error.WriteLine("warning: " + w)).Examples.Select(e => new TokenizedExample(e.InputIds, e.Labels)).ToList();
        }
        var all = Load(d.Path, d.Split);
        if (d.MaxSamples > 0 && all.Count > d.MaxSamples) all = all.Take(d.MaxSamples).ToList();
        List<TokenizedExample>? eval = null;
        if (d.EvalPath != null) eval = Load(d.EvalPath, "train");
        else if (d.EvalSplit != null) eval = Load(d.Path, d.EvalSplit);
        else if (d.TestSize > 0)
        {
            int n = d.TestSize >= 1 ? (int)d.TestSize : (int)Math.Round(all.Count * d.TestSize);
            if (n <= 0 || n >= all.Count) throw new TrainingSetupException($"dataset.test_size {d.TestSize} leaves {all.Count - n} training and {n} evaluation rows");
            var order = SeededPermutation.Create(all.Count, config.Training.Seed);
            eval = order.Take(n).Select(i => all[i]).ToList();
            all = order.Skip(n).Select(i => all[i]).ToList();
        }
        return (all, eval);
    }
}
