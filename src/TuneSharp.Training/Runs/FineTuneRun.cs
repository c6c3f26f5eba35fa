// A fine-tuning run set up in one place from a RunConfig: model (dtype, QLoRA), LoRA adapters (incl. lm_head and embedding LoRA), tokenizer, data and trainer.
using System.Runtime.InteropServices;
using TuneSharp.Models;
using TuneSharp.Nn.Lora;
using TuneSharp.Nn.Peft;
using TuneSharp.Tensors.IO;
using TuneSharp.Tokenizers;
using TuneSharp.Training.Checkpoints;
using TuneSharp.Training.Config;
using TuneSharp.Training.Sft;

namespace TuneSharp.Training.Runs;

/// <summary>
/// What <c>tunesharp train</c> runs, as a library call: <see cref="FromConfig"/> loads and checks everything
/// (nothing is trained yet, nothing is written), <see cref="Train"/> trains and writes the output folder.
/// <code>
/// using var run = FineTuneRun.Create("models/tiny").Data("train.jsonl", "alpaca").Lora(r: 8).Training(t => t.MaxSteps = 50).Build();
/// run.Train();
/// </code>
/// </summary>
public sealed class FineTuneRun : IDisposable
{
    private FineTuneRun(RunConfig config, CausalLM model, Tokenizer? tokenizer, LoraModel? lora, RunData data, SftTrainer trainer)
    {
        Config = config;
        Model = model;
        Tokenizer = tokenizer;
        Lora = lora;
        Data = data;
        Trainer = trainer;
    }

    /// <summary>The effective config (defaults filled in); written to output_dir/run_config.yaml by <see cref="Train"/>.</summary>
    public RunConfig Config { get; }

    public CausalLM Model { get; }

    /// <summary>The run's tokenizer (null only for dataset.format tokenized).</summary>
    public Tokenizer? Tokenizer { get; }

    /// <summary>The injected adapter, or null for full fine-tuning (lora.enabled false).</summary>
    public LoraModel? Lora { get; }

    public RunData Data { get; }

    public SftTrainer Trainer { get; }

    /// <summary>A fluent builder over a <see cref="RunConfig"/> for <paramref name="modelPath"/> (an HF folder or .gguf file).</summary>
    public static FineTuneRunBuilder Create(string modelPath) => new(modelPath);

    /// <summary>
    /// Model + adapter + tokenizer + data + trainer, every check done. Throws <see cref="ConfigException"/> for
    /// settings, input-format exceptions for files, <see cref="TrainingSetupException"/> for unusable data.
    /// <paramref name="warn"/> receives formatting warnings (truncated responses, …).
    /// </summary>
    public static FineTuneRun FromConfig(RunConfig config, Action<string>? warn = null) => FromConfig(config, null, warn);

    internal static FineTuneRun FromConfig(RunConfig config, Func<Tokenizer?, int, RunData>? inMemoryData, Action<string>? warn)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (string.IsNullOrWhiteSpace(config.Model.NameOrPath)) throw new ConfigException("no model: set model.name_or_path (--model DIR or FILE.gguf)");
        if (inMemoryData == null && string.IsNullOrWhiteSpace(config.Dataset.Path) && config.Dataset.DataFiles.Count == 0)
            throw new ConfigException("no data: set dataset.path or dataset.data_files (--data FILE)");
        var loraConfig = LoraConfigOf(config);
        if (config.Lora.InitAdapter == null) loraConfig?.Validate(); // rank 0 etc. fail before the model loads
        if (!config.Lora.Enabled && config.Model.LoadIn4bit)
            throw new ConfigException("model.load_in_4bit needs LoRA (QLoRA): full fine-tuning (lora.enabled false) trains F32 weights");
        if (config.Training.Threads > 0) Tensors.Threading.KernelPool.Threads = config.Training.Threads;

        var model = CausalLM.FromPretrained(config.Model.NameOrPath, new ModelLoadOptions { DType = ParseDType(config.Model.Dtype), KeepGgufQuantized = false });
        try
        {
            var lora = loraConfig != null ? InjectAdapters(model, config, loraConfig) : null;
            if (lora == null) model.MakeAllTrainable();

            string tokenizerSource = RunData.TokenizerSource(config);
            // Preference methods (training.method dpo|orpo|simpo) read prompt/chosen/rejected rows and train with their
            // own objective on the same trainer.
            if (Preference.PreferenceSetup.IsPreference(config.Training))
            {
                var preference = Preference.PreferenceSetup.Create(config, model, lora, tokenizerSource, new ModelLoadOptions { DType = ParseDType(config.Model.Dtype), KeepGgufQuantized = false });
                return new FineTuneRun(config, model, null, lora, new RunData([], null), preference.Trainer);
            }
            bool needTokenizer = !RunData.IsTokenized(config) || config.Tokenizer.PadToken != null;
            var tokenizer = needTokenizer ? RunData.LoadTokenizer(config, tokenizerSource) : null;
            var data = inMemoryData != null ? inMemoryData(tokenizer, model.Config.VocabSize)
                : RunData.Load(config, tokenizer, tokenizerSource, model.Config.VocabSize, warn);
            if (warn != null && SeqLengthWarning(config, model, data) is { } w) warn(w);
            string? tokenizerDir = Directory.Exists(tokenizerSource) ? tokenizerSource : null;
            var trainer = new SftTrainer(model, tokenizerDir, config.Training, data.Train, data.Eval, lora,
                padTokenId: config.Tokenizer.PadToken != null ? tokenizer!.PadTokenId : null, paddingSide: config.Tokenizer.PaddingSide);
            if (config.Training.EvalGenerationMetrics.Count > 0)
            {
                var genTokenizer = tokenizer ?? RunData.LoadTokenizer(config, tokenizerSource);
                trainer.GenerationEvaluator = new GenerationEvaluator(model, genTokenizer, config.Training, data.Eval
                    ?? throw new ConfigException("training.eval_generation_metrics needs eval data: set dataset.eval_path or dataset.test_size"));
            }
            return new FineTuneRun(config, model, tokenizer, lora, data, trainer);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A warning when training.max_seq_length is larger than the model's max_position_embeddings and that matters:
    /// the value was chosen (not the default), packing fills rows to it, or some rows really are longer than the
    /// positions. Such tokens train positions the model never saw (transformers would index past its position table).
    /// </summary>
    internal static string? SeqLengthWarning(RunConfig config, CausalLM model, RunData data)
    {
        int maxPos = model.Config.MaxPositionEmbeddings, maxSeq = config.Training.MaxSeqLength;
        if (maxPos <= 0 || maxSeq <= maxPos) return null;
        var rows = data.Eval is null ? data.Train : data.Train.Concat(data.Eval);
        int longer = rows.Count(e => e.InputIds.Length > maxPos);
        bool chosen = maxSeq != new TrainingOptions().MaxSeqLength;
        if (!chosen && !config.Training.Packing && longer == 0) return null;
        string detail = longer > 0 ? $"; {longer} row{(longer == 1 ? " is" : "s are")} longer than {maxPos} tokens" : config.Training.Packing ? "; packing fills rows to max_seq_length" : "";
        return $"training.max_seq_length {maxSeq} is larger than the model's max_position_embeddings {maxPos} ({model.Source}){detail}: " +
               $"tokens past position {maxPos} train positions the model was never trained on. Set training.max_seq_length to at most {maxPos}";
    }

    /// <summary>Trains to the end (or early stop / cancellation), writing output_dir/run_config.yaml first.</summary>
    public TrainOutcome Train(CancellationToken cancellation = default)
    {
        // The output folder's lock covers run_config.yaml too: a second run into the same folder refuses before writing anything.
        using var outputLock = RunLock.Acquire(Config.Training.OutputDir);
        Trainer.OutputLock = outputLock;
        AtomicFile.WriteAllText(Path.Combine(Config.Training.OutputDir, "run_config.yaml"), Config.ToYaml());
        return Trainer.Train(cancellation);
    }

    /// <summary>
    /// Trains like <see cref="Train"/>, with Ctrl-C / SIGTERM turned into a cancellation: the trainer saves a
    /// checkpoint after the current step and returns <see cref="TrainStatus.Interrupted"/>.
    /// </summary>
    public TrainOutcome TrainUntilInterrupted(Action? onInterrupt = null)
    {
        using var cts = new CancellationTokenSource();
        void Cancel(PosixSignalContext c)
        {
            c.Cancel = true;
            if (!cts.IsCancellationRequested) onInterrupt?.Invoke();
            cts.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        return Train(cts.Token);
    }

    /// <summary>Writes the adapter as a PEFT folder (adapter_config.json + adapter_model.safetensors).</summary>
    public void SaveAdapter(string folder)
    {
        var lora = Lora ?? throw new ConfigException("this run trains every weight (lora.enabled false); there is no adapter to save");
        PeftAdapter.Save(folder, lora, Config.Model.NameOrPath);
    }

    public void Dispose() => Model.Dispose();

    /// <summary>model.dtype → load option; float16 and bfloat16 convert the 2-D weights once at load.</summary>
    public static ModelDType ParseDType(string dtype) => dtype.Trim().ToLowerInvariant() switch
    {
        "auto" => ModelDType.Auto,
        "float32" or "fp32" or "f32" => ModelDType.Float32,
        "bfloat16" or "bf16" => ModelDType.BFloat16,
        "float16" or "fp16" or "f16" or "half" => ModelDType.Float16,
        var other => throw new ConfigException($"model.dtype '{other}' is not one of auto, float32, bfloat16, float16"),
    };

    private static LoraConfig? LoraConfigOf(RunConfig config) => config.Lora.Enabled ? new LoraConfig
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

    private static LoraModel InjectAdapters(CausalLM model, RunConfig config, LoraConfig loraConfig)
    {
        // The module walk finds every candidate: decoder linears, lm_head (LoRA folded into the fused loss as
        // W + s·B·A, or modules_to_save; a target only when named) and embed_tokens (PEFT's lora_embedding_A/B).
        if (config.Model.LoadIn4bit) LoraModel.QuantizeBaseWeights(model.Linears, config.Model.Bnb4bitUseDoubleQuant);
        return config.Lora.InitAdapter != null
            ? PeftAdapter.Load(config.Lora.InitAdapter, model)
            : LoraModel.Inject(model, loraConfig, seed: unchecked((int)config.Training.Seed));
    }
}
