// Supervised fine-tuning loop with transformers Trainer / TRL SFTTrainer semantics (trainer.py _inner_training_loop).
using System.Diagnostics;
using System.Text.Json.Nodes;
using TuneSharp.Autograd;
using TuneSharp.Data;
using TuneSharp.Models;
using TuneSharp.Nn.Lora;
using TuneSharp.Nn.Optim;
using TuneSharp.Tensors.Kernels;
using TuneSharp.Training.Checkpoints;
using TuneSharp.Training.Tracking;
using TuneSharp.Tensors.IO;

namespace TuneSharp.Training.Sft;

/// <summary>
/// Trains a <see cref="CausalLM"/> on pre-tokenized examples. With a <see cref="LoraModel"/> only the adapter (and
/// modules_to_save) train and checkpoints hold a PEFT adapter; without one, every parameter that requires a gradient
/// trains (call <see cref="CausalLM.MakeAllTrainable"/> first for full fine-tuning) and checkpoints hold
/// model.safetensors.
/// <para>Semantics (transformers): a micro-batch's loss is the mean over its scored tokens; backward is scaled by
/// 1/(micro-batches in the step) (1/gradient_accumulation_steps except for a short last step of an epoch); the step
/// loss is the mean of its micro-batch losses; the logged loss is the mean step loss over the logging window;
/// grad_norm is the last step's norm before clipping; learning_rate is the scheduler's value after the step (as HF
/// logs it). Steps per epoch = ceil(ceil(rows / batch) / accumulation); max_steps &gt; 0 overrides epochs.
/// Data order per epoch is a permutation seeded by (seed, epoch), dropout streams by (seed, step, micro-batch),
/// so resuming from checkpoint k reproduces the uninterrupted run bit for bit.</para>
/// </summary>
public sealed partial class SftTrainer
{
    private readonly CausalLM _model;
    private readonly LoraModel? _lora;
    private readonly string? _tokenizerDir;
    private readonly IReadOnlyList<TokenizedExample> _train;
    private readonly IReadOnlyList<TokenizedExample>? _eval;
    private readonly SftCollator _collator;
    // Set by InitCommon, shared by the SFT constructor and the objective constructor (SftTrainer.Objective.cs).
    private IReadOnlyList<(string Name, Variable Parameter)> _params;
    private LrSchedule _schedule;
    private Optimizer _optimizer;
    private int _batchesPerEpoch;

    // Open logging window and run totals (saved in checkpoints so a resumed run logs identical numbers).
    private double _windowLossSum;
    private int _windowSteps;
    private long _windowTokens;
    private double _windowSeconds;
    private double _runLossSum;
    private int _runSteps;
    private int _patienceCounter;
    private readonly List<int> _skipped = [];
    private bool _newBest;

    /// <param name="model">The model (LoRA already injected when <paramref name="lora"/> is given).</param>
    /// <param name="tokenizerDir">Folder whose tokenizer files are copied into checkpoints (default: the model folder).</param>
    /// <param name="options">TrainingArguments-named options.</param>
    /// <param name="trainData">Pre-tokenized training examples.</param>
    /// <param name="evalData">Optional evaluation examples (eval_strategy ≠ "no" needs them).</param>
    /// <param name="lora">The injected adapter, or null for full fine-tuning.</param>
    /// <param name="padTokenId">Id written into padding positions (tokenizer.pad_token); default: config pad id, else EOS.</param>
    /// <param name="paddingSide">Which side of a batch row is padded (tokenizer.padding_side).</param>
    /// <exception cref="ConfigException">An invalid option or combination of options.</exception>
    /// <exception cref="TrainingSetupException">Unusable data or an unwritable output_dir.</exception>
    public SftTrainer(CausalLM model, string? tokenizerDir, TrainingOptions options, IReadOnlyList<TokenizedExample> trainData,
        IReadOnlyList<TokenizedExample>? evalData = null, LoraModel? lora = null, int? padTokenId = null,
        Tokenizers.PaddingSide paddingSide = Tokenizers.PaddingSide.Right)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(trainData);
        _model = model;
        _lora = lora;
        Options = options;
        _tokenizerDir = tokenizerDir ?? (Directory.Exists(model.Source) ? model.Source : null);
        ValidateOptions(options, evalData != null);

        int pad = padTokenId ?? model.Config.PadTokenId ?? (model.Config.EosTokenIds.Count > 0 ? model.Config.EosTokenIds[0] : 0);
        if (padTokenId is { } given && (given < 0 || given >= model.Config.VocabSize))
            throw new ConfigException($"tokenizer.pad_token: id {given} is outside the model's vocabulary (0..{model.Config.VocabSize - 1})");
        if (pad < 0 || pad >= model.Config.VocabSize) pad = 0;
        _collator = new SftCollator(options.MaxSeqLength, pad, paddingSide);
        _train = Prepare(trainData, "train");
        _eval = evalData == null ? null : Prepare(evalData, "eval");
        if (_train.All(e => e.ScoredTokens(e.Length) == 0))
            throw new TrainingSetupException($"training data: every label is -100 after truncation to max_seq_length {options.MaxSeqLength} (nothing to learn); check the labels / completion-only masking");
        CheckVocabulary(_train, "train");
        if (_eval != null) CheckVocabulary(_eval, "eval");
        InitCommon();
    }

    /// <summary>Trainable parameters, step counts, schedule, optimizer and state: everything after the data.</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_params), nameof(_schedule), nameof(_optimizer), nameof(State))]
    private void InitCommon()
    {
        var options = Options;
        var model = _model;
        var lora = _lora;
        _params = lora != null ? lora.TrainableParameters() : model.NamedParameters().Where(p => p.Parameter.RequiresGrad).ToList();
        if (_params.Count == 0) throw new TrainingSetupException("model has no trainable parameters: inject LoRA or call MakeAllTrainable for full fine-tuning");

        _batchesPerEpoch = (TrainRows + options.PerDeviceTrainBatchSize - 1) / options.PerDeviceTrainBatchSize;
        StepsPerEpoch = (_batchesPerEpoch + options.GradientAccumulationSteps - 1) / options.GradientAccumulationSteps;
        MaxSteps = options.MaxSteps > 0 ? options.MaxSteps : Math.Max(1, (int)Math.Ceiling(options.NumTrainEpochs * StepsPerEpoch));
        NumTrainEpochs = options.MaxSteps > 0 ? (MaxSteps + StepsPerEpoch - 1) / StepsPerEpoch : (int)Math.Ceiling(options.NumTrainEpochs);
        try
        {
            _schedule = LrSchedule.Create(Config.ConfigBinder.SnakeCase(options.LrSchedulerType.ToString()), MaxSteps, options.WarmupSteps, options.WarmupRatio, baseLearningRate: options.LearningRate);
            _optimizer = OptimizerFactory.Create(Config.ConfigBinder.EnumName(options.Optim), _params, new OptimizerOptions
            {
                LearningRate = options.LearningRate,
                WeightDecay = options.WeightDecay,
                Beta1 = options.AdamBeta1,
                Beta2 = options.AdamBeta2,
                Epsilon = options.AdamEpsilon,
            });
        }
        catch (ArgumentException e) { throw new TrainingSetupException(e.Message); }
        CheckOutputDirWritable(options.OutputDir);
        _model.GradientCheckpointing = options.GradientCheckpointing;

        State = new TrainerState
        {
            MaxSteps = MaxSteps,
            NumTrainEpochs = NumTrainEpochs,
            LoggingSteps = options.LoggingSteps,
            EvalSteps = EvalSteps,
            SaveSteps = options.SaveSteps,
            TrainBatchSize = options.PerDeviceTrainBatchSize,
        };
    }

    public TrainingOptions Options { get; }

    /// <summary>transformers' TrainerState (global_step, log_history, best metric …), updated as training goes.</summary>
    public TrainerState State { get; private set; }

    public int MaxSteps { get; private set; }

    public int NumTrainEpochs { get; private set; }

    /// <summary>Optimizer steps per epoch: ceil(ceil(rows / batch) / accumulation).</summary>
    public int StepsPerEpoch { get; private set; }

    /// <summary>Rows after truncation/packing (preference pairs with an objective).</summary>
    public int TrainRows => _objective?.Rows ?? _train.Count;

    public Optimizer Optimizer => _optimizer;

    /// <summary>Trainable parameters by name (PEFT in-model names for LoRA, HF tensor names otherwise).</summary>
    public IReadOnlyList<(string Name, Variable Parameter)> TrainableParameters => _params;

    /// <summary>eval_steps, defaulting to logging_steps (transformers).</summary>
    public int EvalSteps => Options.EvalSteps is > 0 ? Options.EvalSteps.Value : Options.LoggingSteps;

    /// <summary>training.run_name, or the output folder's name.</summary>
    public string RunName => Options.RunName is { Length: > 0 } n ? n : Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(Options.OutputDir)));

    /// <summary>Padding id and side used for batches.</summary>
    public SftCollator Collator => _collator;

    /// <summary>Progress output (default: the console).</summary>
    public ConsoleProgress Progress { get; set; } = new();

    /// <summary>Called with every log_history entry as it is added (tests, UIs).</summary>
    public event Action<JsonObject>? Logged;

    /// <summary>Fault-injection hook: called inside checkpoint writing after each part ("weights", "optimizer", …); throw to simulate a crash mid-save.</summary>
    public Action<string>? OnCheckpointFileWritten { get; set; }

    /// <summary>Per-step losses of this process (step → loss), for tests and parity checks.</summary>
    public SortedDictionary<int, double> StepLosses { get; } = [];

    /// <summary>Per-step gradient norms before clipping.</summary>
    public SortedDictionary<int, double> StepGradNorms { get; } = [];

    private static void ValidateOptions(TrainingOptions o, bool hasEval)
    {
        Config.TrainingOptionsLimits.Validate(o);
        // Option values and their combinations are settings problems (exit code Config), found before anything runs.
        void Need(bool ok, string message) { if (!ok) throw new ConfigException("training." + message); }
        Need(!string.IsNullOrWhiteSpace(o.OutputDir), "output_dir is empty");
        Need(o.PerDeviceTrainBatchSize > 0, $"per_device_train_batch_size must be ≥ 1 (got {o.PerDeviceTrainBatchSize})");
        Need(o.PerDeviceEvalBatchSize > 0, $"per_device_eval_batch_size must be ≥ 1 (got {o.PerDeviceEvalBatchSize})");
        Need(o.GradientAccumulationSteps > 0, $"gradient_accumulation_steps must be ≥ 1 (got {o.GradientAccumulationSteps})");
        Need(o.MaxSteps > 0 || o.NumTrainEpochs > 0, $"num_train_epochs must be > 0 when max_steps is not set (got {o.NumTrainEpochs})");
        Need(o.LearningRate >= 0 && double.IsFinite(o.LearningRate), $"learning_rate must be a finite number ≥ 0 (got {o.LearningRate})");
        Need(o.MaxGradNorm >= 0, $"max_grad_norm must be ≥ 0 (0 disables clipping; got {o.MaxGradNorm})");
        Need(o.LoggingSteps > 0, $"logging_steps must be ≥ 1 (got {o.LoggingSteps})");
        Need(o.MaxSeqLength >= 2, $"max_seq_length must be ≥ 2 (got {o.MaxSeqLength})");
        Need(o.SaveStrategy != IntervalStrategy.Steps || o.SaveSteps > 0, $"save_steps must be ≥ 1 with save_strategy steps (got {o.SaveSteps})");
        Need(o.EvalSteps is null or > 0, $"eval_steps must be ≥ 1 (got {o.EvalSteps})");
        Need(o.SaveTotalLimit is null or > 0, $"save_total_limit must be ≥ 1 or unset (got {o.SaveTotalLimit})");
        Need(o.EvalStrategy == IntervalStrategy.No || hasEval, $"eval_strategy '{o.EvalStrategy}' needs evaluation data (dataset.eval_path or test_size)");
        Need(!o.LoadBestModelAtEnd || o.EvalStrategy != IntervalStrategy.No, "load_best_model_at_end needs eval_strategy steps or epoch");
        Need(!o.LoadBestModelAtEnd || o.SaveStrategy == o.EvalStrategy,
            $"load_best_model_at_end needs save_strategy ({o.SaveStrategy}) to equal eval_strategy ({o.EvalStrategy})");
        int evalSteps = o.EvalSteps is > 0 ? o.EvalSteps.Value : o.LoggingSteps;
        Need(!o.LoadBestModelAtEnd || o.SaveStrategy != IntervalStrategy.Steps || o.SaveSteps % evalSteps == 0,
            $"load_best_model_at_end needs save_steps ({o.SaveSteps}) to be a multiple of eval_steps ({evalSteps})");
        Need(o.EarlyStoppingPatience is null || o.EvalStrategy != IntervalStrategy.No, "early_stopping_patience needs eval_strategy steps or epoch");
        Need(o.EarlyStoppingPatience is null or > 0, $"early_stopping_patience must be ≥ 1 (got {o.EarlyStoppingPatience})");
        var generationKeys = GenerationEvaluator.LogKeys(o).ToList();
        Need(BestMetricKey(o) is "eval_loss" || generationKeys.Contains(BestMetricKey(o)),
            $"metric_for_best_model '{o.MetricForBestModel}' is not computed; use eval_loss{string.Concat(generationKeys.Select(k => ", " + k))}" +
            (generationKeys.Count == 0 ? " (or list the metric in eval_generation_metrics, e.g. [rougeL], and use eval_rougeL)" : ""));
        Need(Enum.IsDefined(o.Optim), $"optim {(int)o.Optim} is not one of adamw_torch, adamw_8bit");
    }

    private IReadOnlyList<TokenizedExample> Prepare(IReadOnlyList<TokenizedExample> data, string what)
    {
        if (data.Count == 0) throw new TrainingSetupException($"{what} data has no rows");
        for (int i = 0; i < data.Count; i++)
        {
            var e = data[i];
            if (e.InputIds == null || e.InputIds.Length == 0) throw new TrainingSetupException($"{what} data: row {i + 1} has no input_ids");
            if (e.Labels == null || e.Labels.Length != e.InputIds.Length)
                throw new TrainingSetupException($"{what} data: row {i + 1} has {e.Labels?.Length ?? 0} labels for {e.InputIds.Length} input_ids");
        }
        // completion_only_loss = false (TRL): train on every token, ignoring the prompt mask in the data.
        if (!Options.CompletionOnlyLoss) data = data.Select(e => TokenizedExample.FromIds(e.InputIds)).ToList();
        return Options.Packing ? _collator.Pack(data) : _collator.Truncate(data);
    }

    private void CheckVocabulary(IReadOnlyList<TokenizedExample> data, string what)
    {
        int v = _model.Config.VocabSize;
        for (int i = 0; i < data.Count; i++)
            foreach (var id in data[i].InputIds)
                if ((uint)id >= (uint)v) throw new TrainingSetupException($"{what} data: row {i + 1} has token id {id} outside the model's vocabulary (0..{v - 1})");
    }

    private static void CheckOutputDirWritable(string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
            var probe = Path.Combine(dir, $".write-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new TrainingSetupException($"output_dir '{dir}' is not writable: {e.Message}");
        }
    }

    /// <summary>Row order of an epoch: a permutation seeded by (seed, epoch), or file order without shuffle.</summary>
    private int[] EpochOrder(int epoch) =>
        Options.Shuffle ? SeededPermutation.Create(TrainRows, unchecked(Options.Seed * 0x9E3779B97F4A7C15UL + (ulong)epoch + 1)) : Enumerable.Range(0, TrainRows).ToArray();

    /// <summary>The output folder's lock when the caller already holds it (it then also covers files the caller writes); else Train takes its own.</summary>
    public RunLock? OutputLock { get; set; }

    /// <summary>
    /// Runs training to max_steps (or early stop / cancellation), resuming first when resume_from_checkpoint says so.
    /// Holds output_dir's <see cref="RunLock"/> throughout; removes leftovers of interrupted saves first; refuses a fresh
    /// run into a folder with an earlier run unless overwrite_output_dir.
    /// </summary>
    /// <exception cref="RunLockedException">Another live training holds output_dir.</exception>
    /// <exception cref="OutputWriteException">The disk filled up (or output became unwritable); completed checkpoints are kept.</exception>
    public TrainOutcome Train(CancellationToken cancellation = default)
    {
        RunLock? own = null;
        if (OutputLock is not { IsHeld: true } given || !string.Equals(given.Folder, Path.GetFullPath(Options.OutputDir), StringComparison.Ordinal))
            own = RunLock.Acquire(Options.OutputDir);
        try
        {
            if ((own ?? OutputLock)!.StaleNote is { } note) Progress.Line("notice: " + note);
            return TrainLocked(cancellation);
        }
        catch (IOException e) when (OutputWriteException.IsDiskFull(e))
        {
            throw new OutputWriteException($"the disk holding output_dir '{Options.OutputDir}' is full ({e.Message}). Nothing already written was lost: "
                + (_lastCheckpoint != null ? $"the last complete checkpoint is {_lastCheckpoint}" : "no checkpoint had been completed yet")
                + " and the partial save was removed. Free some space, then run again with resume_from_checkpoint=true.", e);
        }
        finally { own?.Dispose(); }
    }

    private string? _lastCheckpoint;

    private TrainOutcome TrainLocked(CancellationToken cancellation)
    {
        var o = Options;
        if (o.EvalGenerationMetrics.Count > 0 && GenerationEvaluator is null)
            throw new ConfigException(_objective != null
                ? "training.eval_generation_metrics is available for SFT only; remove it for preference training (method " + o.Method + ")"
                : "training.eval_generation_metrics needs a tokenizer to generate with: FineTuneRun sets it up; when using SftTrainer directly, set trainer.GenerationEvaluator");
        var removed = OutputFolder.RemoveTemporaries(o.OutputDir);
        if (removed.Count > 0)
            Progress.Line($"removed {removed.Count} leftover(s) of an interrupted save or rotation: {string.Join(", ", removed.Take(4))}{(removed.Count > 4 ? ", …" : "")}");
        string? resumeFrom = ResolveResume(o.ResumeFromCheckpoint);
        if (resumeFrom != null)
        {
            ResumeSettings.Require(resumeFrom, o);
            LoadCheckpoint(resumeFrom);
        }
        else if (OutputFolder.DescribePreviousRun(o.OutputDir) is { } previous)
        {
            if (!o.OverwriteOutputDir)
                throw new TrainingSetupException($"output_dir '{o.OutputDir}' already holds {previous} from an earlier run. Pass resume_from_checkpoint=true to continue it, "
                    + "overwrite_output_dir=true to replace it, or choose another output_dir.");
            Progress.Line($"overwrite_output_dir: removing {previous} from {o.OutputDir}");
            OutputFolder.ClearPreviousRun(o.OutputDir);
        }
        _lastCheckpoint = resumeFrom;

        var metricsPath = Path.Combine(o.OutputDir, "metrics.jsonl");
        if (resumeFrom != null) TrimMetrics(metricsPath, State.GlobalStep);
        using var jsonl = o.ReportTo.Contains("jsonl") ? new MetricsJsonlWriter(metricsPath, append: resumeFrom != null) : null;
        using var tb = o.ReportTo.Contains("tensorboard") ? new TensorBoardWriter(o.LoggingDir ?? Path.Combine(o.OutputDir, "runs")) : null;
        _jsonl = jsonl;
        _tb = tb;
        Progress.Line($"run {RunName}: training {TrainRows} rows, {StepsPerEpoch} steps/epoch, {MaxSteps} steps, {_params.Sum(p => p.Parameter.Shape.ElementCount):N0} trainable parameters"
            + (resumeFrom != null ? $", resumed from {resumeFrom} at step {State.GlobalStep}" : ""));

        _objective?.Prepare(Progress.Line);

        var run = Stopwatch.StartNew();
        var window = Stopwatch.StartNew();
        var status = TrainStatus.Completed;
        string? lastCheckpoint = resumeFrom;
        int startStep = State.GlobalStep;
        using var tape = new Tape();
        while (State.GlobalStep < MaxSteps)
        {
            int epoch = State.GlobalStep / StepsPerEpoch;
            int stepInEpoch = State.GlobalStep % StepsPerEpoch;
            var order = EpochOrder(epoch);
            int microStart = stepInEpoch * o.GradientAccumulationSteps;
            int microEnd = Math.Min(microStart + o.GradientAccumulationSteps, _batchesPerEpoch);
            int step = State.GlobalStep + 1;

            var (stepLoss, gradNorm, tokens, skipped) = TrainStep(tape, order, microStart, microEnd, step);
            State.GlobalStep = step;
            State.Epoch = epoch + microEnd / (double)_batchesPerEpoch;
            State.NumInputTokensSeen += tokens;
            StepLosses[step] = stepLoss;
            StepGradNorms[step] = gradNorm;
            if (!skipped)
            {
                _windowLossSum += stepLoss;
                _windowSteps++;
                _runLossSum += stepLoss;
                _runSteps++;
            }
            _windowTokens += tokens;
            double lrAfter = o.LearningRate * _schedule.Factor(step);
            double elapsed = window.Elapsed.TotalSeconds + _windowSeconds;
            double tps = elapsed > 0 ? _windowTokens / elapsed : 0;
            double perStep = run.Elapsed.TotalSeconds / Math.Max(1, step - startStep);
            Progress.Step(step, MaxSteps, stepLoss, lrAfter, tps, TimeSpan.FromSeconds(perStep * (MaxSteps - step)));

            if (skipped)
                AddLog(new JsonObject { ["step"] = step, ["epoch"] = State.Epoch, ["skipped"] = true, ["reason"] = "non-finite loss or gradient" }, tb: false);

            if (step % o.LoggingSteps == 0)
            {
                double loss = _windowSteps > 0 ? _windowLossSum / _windowSteps : double.NaN;
                AddLog(new JsonObject
                {
                    ["loss"] = loss,
                    ["grad_norm"] = gradNorm,
                    ["learning_rate"] = lrAfter,
                    ["epoch"] = State.Epoch,
                    ["step"] = step,
                    ["tokens_per_s"] = tps,
                }.WithObjectiveMetrics(_objective), tb: true);
                Progress.Line(ConsoleProgress.Format(step, MaxSteps, loss, lrAfter, tps, TimeSpan.FromSeconds(perStep * (MaxSteps - step)))
                    + $" | grad_norm {gradNorm:F4} | epoch {State.Epoch:F2}");
                _windowLossSum = 0;
                _windowSteps = 0;
                _windowTokens = 0;
                _windowSeconds = 0;
                window.Restart();
            }

            bool epochEnd = stepInEpoch == StepsPerEpoch - 1;
            bool stop = false;
            if ((o.EvalStrategy == IntervalStrategy.Steps && step % EvalSteps == 0) || (o.EvalStrategy == IntervalStrategy.Epoch && epochEnd))
                stop = EvaluateAndTrack();
            bool save = (o.SaveStrategy == IntervalStrategy.Steps && step % o.SaveSteps == 0) || (o.SaveStrategy == IntervalStrategy.Epoch && epochEnd);
            if (cancellation.IsCancellationRequested)
            {
                status = TrainStatus.Interrupted;
                save = true;
                stop = true;
            }
            if (save && o.SaveStrategy != IntervalStrategy.No || status == TrainStatus.Interrupted)
            {
                _windowSeconds += window.Elapsed.TotalSeconds;
                window.Restart();
                lastCheckpoint = SaveCheckpoint();
                _lastCheckpoint = lastCheckpoint;
            }
            if (stop)
            {
                if (status != TrainStatus.Interrupted) status = TrainStatus.EarlyStopped;
                break;
            }
        }

        double trainLoss = _runSteps > 0 ? _runLossSum / _runSteps : double.NaN;
        if (status != TrainStatus.Interrupted)
        {
            AddLog(new JsonObject
            {
                ["epoch"] = State.Epoch,
                ["step"] = State.GlobalStep,
                ["train_loss"] = trainLoss,
                ["train_runtime"] = run.Elapsed.TotalSeconds,
                ["train_steps_per_second"] = (State.GlobalStep - startStep) / Math.Max(1e-9, run.Elapsed.TotalSeconds),
            }, tb: false);
            if (o.LoadBestModelAtEnd && State.BestModelCheckpoint is { } best && Directory.Exists(best))
            {
                Progress.Line($"loading best model from {best} ({o.MetricForBestModel} = {State.BestMetric})");
                LoadWeights(best);
            }
            SaveFinal(o.OutputDir);
        }
        Progress.Line($"{Config.ConfigBinder.SnakeCase(status.ToString()).Replace('_', ' ')} at step {State.GlobalStep}/{MaxSteps}, train_loss {trainLoss:F4}, {run.Elapsed.TotalSeconds:F1}s"
            + (status == TrainStatus.Interrupted ? $"; resume with resume_from_checkpoint=true (saved {lastCheckpoint})" : $"; output in {o.OutputDir}"));
        _jsonl = null;
        _tb = null;
        return new TrainOutcome(status, State.GlobalStep, MaxSteps, State.Epoch, trainLoss, run.Elapsed.TotalSeconds,
            State.BestModelCheckpoint, State.BestMetric, lastCheckpoint, _skipped.ToList());
    }

    /// <summary>
    /// On resume, drops metrics.jsonl rows logged after the checkpoint's step (a killed run may have logged steps it
    /// never saved; they are re-run and would otherwise appear twice).
    /// </summary>
    private static void TrimMetrics(string path, int step)
    {
        if (!File.Exists(path)) return;
        var keep = new List<string>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                if (JsonNode.Parse(line) is JsonObject row && row["step"] is JsonValue v && v.TryGetValue<int>(out var s)
                    && (s > step || (s == step && row.ContainsKey("train_runtime")))) continue; // the end-of-run summary is written again
            }
            catch (System.Text.Json.JsonException) { continue; } // a line cut by a kill
            keep.Add(line);
        }
        AtomicFile.WriteAllText(path, keep.Count == 0 ? "" : string.Join("\n", keep) + "\n");
    }

    private MetricsJsonlWriter? _jsonl;
    private TensorBoardWriter? _tb;

    private void AddLog(JsonObject entry, bool tb)
    {
        // JSON has no NaN/Inf: non-finite numbers are logged as null (transformers writes NaN, which strict readers reject).
        foreach (var key in entry.Select(kv => kv.Key).ToList())
            if (entry[key] is JsonValue v && v.TryGetValue<double>(out var d) && !double.IsFinite(d)) entry[key] = null;
        State.LogHistory.Add(entry);
        _jsonl?.Write(entry.Select(kv => new KeyValuePair<string, object?>(kv.Key, ToScalar(kv.Value))));
        if (tb && _tb != null)
        {
            foreach (var (k, v) in entry)
            {
                if (k is "step" or "epoch" && entry.ContainsKey("loss")) { if (k == "epoch") _tb.AddScalar("train/epoch", (double)ToScalar(v)!, State.GlobalStep); continue; }
                if (ToScalar(v) is double d)
                    _tb.AddScalar(k.StartsWith("eval_", StringComparison.Ordinal) ? "eval/" + k[5..] : "train/" + k, d, State.GlobalStep);
            }
        }
        Logged?.Invoke(entry);
    }

    private static object? ToScalar(JsonNode? n) => n switch
    {
        null => null,
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        JsonValue v when v.TryGetValue<int>(out var i) => (double)i,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => n.ToJsonString(),
    };

    /// <summary>One optimizer step over micro-batches [microStart, microEnd) of the epoch order.</summary>
    private (double Loss, double GradNorm, long Tokens, bool Skipped) TrainStep(Tape tape, int[] order, int microStart, int microEnd, int step)
    {
        var o = Options;
        int nMicro = microEnd - microStart;
        _optimizer.ZeroGrad();
        double stepLoss = 0;
        long tokens = 0;
        bool finite = true;
        for (int mb = microStart; mb < microEnd; mb++)
        {
            int first = mb * o.PerDeviceTrainBatchSize;
            int count = Math.Min(o.PerDeviceTrainBatchSize, TrainRows - first);
            // Dropout streams depend only on (seed, step, micro-batch): a resumed run draws the same masks.
            tape.Seed = unchecked(Options.Seed * 0xD1B54A32D192ED03UL + (ulong)step * 0x9E3779B97F4A7C15UL + (ulong)(mb - microStart));
            tape.RandomCounter = 0;
            CausalLMInput? input = null;
            Variable loss;
            if (_objective != null)
            {
                loss = _objective.Loss(tape, new ArraySegment<int>(order, first, count), out long fed);
                tokens += fed;
            }
            else
            {
                var rows = new TokenizedExample[count];
                for (int i = 0; i < count; i++) rows[i] = _train[order[first + i]];
                var batch = _collator.Collate(rows);
                tokens += batch.Tokens;
                input = CausalLMInput.Create(batch.InputIds, batch.Batch, batch.HasPadding ? batch.AttentionMask : default);
                loss = _model.Loss(tape, input, batch.Labels);
            }
            float l = loss.Item();
            if (!float.IsFinite(l)) finite = false;
            if (finite) tape.Backward(loss, 1f / nMicro);
            tape.Reset();
            input?.Dispose();
            _objective?.AfterBackward();
            stepLoss += l / (double)nMicro;
            if (!finite) break;
        }

        double norm = double.NaN;
        string? collapse = null;
        if (finite)
        {
            norm = ClipGradients(o.MaxGradNorm);
            if (!double.IsFinite(norm)) finite = false;
            else if (norm == 0 && IsUniformLoss(stepLoss))
                collapse = $"loss {stepLoss:F4} equals ln(vocab_size {_model.Config.VocabSize}) with a zero gradient norm: the model predicts a uniform "
                    + $"distribution and can no longer learn (it diverged; learning_rate {o.LearningRate:G3} is the usual cause)";
        }
        if (!finite || collapse != null)
        {
            string what = collapse ?? (double.IsFinite(stepLoss) ? $"gradient norm is {norm}" : $"loss is {stepLoss}");
            if (o.NanPolicy == NanPolicy.Abort)
            {
                _optimizer.ZeroGrad();
                throw new TrainingDivergedException($"step {step}: {what}; training aborted before the optimizer step, weights are unchanged (nan_policy=abort; use nan_policy=skip to skip such steps, or lower learning_rate)", step);
            }
            _optimizer.ZeroGrad();
            _skipped.Add(step);
            Progress.Line($"step {step}: {what}; step skipped (nan_policy=skip)");
            return (stepLoss, norm, tokens, true);
        }
        _optimizer.LearningRate = o.LearningRate * _schedule.Factor(step - 1);
        _optimizer.Step();
        // A finite gradient can still give a non-finite update (huge learning rate, overflow in the moments): the weights are
        // already changed, so no policy can skip it: stop and say so (the last checkpoint is intact).
        foreach (var (name, p) in _params)
            if (!double.IsFinite(GradClip.SumOfSquares(p.Value.Span)))
                throw new TrainingDivergedException($"step {step}: the optimizer update made '{name}' non-finite (learning_rate {o.LearningRate:G3}); training stopped. "
                    + "Lower learning_rate and resume from the last checkpoint or start again.", step);
        return (stepLoss, norm, tokens, false);
    }

    /// <summary>Mean cross-entropy of a uniform prediction is ln V; within 0.1% of it counts as "pinned there".</summary>
    private bool IsUniformLoss(double loss)
    {
        double lnV = Math.Log(_model.Config.VocabSize);
        return Math.Abs(loss - lnV) <= 1e-3 * lnV;
    }

    /// <summary>
    /// torch clip_grad_norm_ over every trainable gradient (GradClip semantics: the norm accumulates in double, the
    /// coefficient min(1, max/(norm+1e-6)) is applied in float32 only when finite and &lt; 1). Returns the norm before
    /// clipping; maxNorm 0 only measures.
    /// </summary>
    private double ClipGradients(double maxNorm)
    {
        double sum = 0;
        foreach (var (_, p) in _params)
            if (p.Grad != null) sum += GradClip.SumOfSquares(p.Grad.Span);
        double norm = Math.Sqrt(sum);
        if (maxNorm > 0 && double.IsFinite(norm))
        {
            float coef = GradClip.ClipCoefficient(norm, maxNorm);
            if (coef < 1f)
                foreach (var (_, p) in _params)
                    if (p.Grad != null) Elementwise.Scale(p.Grad.Span, coef, p.Grad.Span);
        }
        return norm;
    }

    /// <summary>Mean loss over the eval set (per_device_eval_batch_size, no gradient, dropout off), weighted by rows as HF.</summary>
    public double Evaluate()
    {
        if (_objective != null) return _objective.Evaluate(Options.PerDeviceEvalBatchSize).Loss;
        if (_eval == null) throw new InvalidOperationException("no evaluation data");
        var restore = DisableDropout();
        try
        {
            double sum = 0;
            int rowsSeen = 0;
            using var tape = new Tape();
            for (int first = 0; first < _eval.Count; first += Options.PerDeviceEvalBatchSize)
            {
                int count = Math.Min(Options.PerDeviceEvalBatchSize, _eval.Count - first);
                var batch = _collator.Collate(_eval.Skip(first).Take(count).ToList());
                using var input = CausalLMInput.Create(batch.InputIds, batch.Batch, batch.HasPadding ? batch.AttentionMask : default);
                using (tape.NoGrad())
                {
                    var loss = _model.Loss(tape, input, batch.Labels);
                    sum += loss.Item() * (double)count;
                }
                tape.Reset();
                rowsSeen += count;
            }
            return sum / rowsSeen;
        }
        finally { restore(); }
    }

    private Action DisableDropout()
    {
        if (_lora == null) return () => { };
        var saved = new List<(Nn.Linear Layer, LoraAdapter Adapter)>();
        foreach (var layer in _lora.AdaptedLayers)
        {
            var a = layer.Lora!;
            if (a.Dropout <= 0) continue;
            saved.Add((layer, a));
            layer.Lora = new LoraAdapter(a.A, a.B, a.Alpha, a.UseRslora, 0f) { Merged = a.Merged };
        }
        return () => { foreach (var (l, a) in saved) l.Lora = a; };
    }

    /// <summary>
    /// The log key metric_for_best_model names: "loss" means eval_loss, and a name without the eval_ prefix gets it
    /// (transformers does the same); metric aliases (rougel → rougeL) are resolved as eval_generation_metrics resolves them.
    /// </summary>
    public static string BestMetricKey(TrainingOptions o)
    {
        var m = o.MetricForBestModel.Trim();
        if (m is "loss" or "eval_loss") return "eval_loss";
        if (m.StartsWith("eval_", StringComparison.Ordinal)) m = m[5..];
        try { return "eval_" + Evaluation.MetricNames.Parse(m)[0]; }
        catch (Evaluation.EvaluationInputException) { return "eval_" + m; }
    }

    /// <summary>
    /// Generation metrics at each evaluation (training.eval_generation_metrics); <see cref="Runs.FineTuneRun"/> sets it up
    /// from the run's tokenizer and eval data. Needed when the option is set.
    /// </summary>
    public GenerationEvaluator? GenerationEvaluator { get; set; }

    /// <summary>Evaluates, logs eval_loss, updates best_metric and the early-stopping counter; true = stop training.</summary>
    private bool EvaluateAndTrack()
    {
        var o = Options;
        double evalLoss;
        var evalEntry = new JsonObject();
        if (_objective != null)
        {
            (evalLoss, var metrics) = _objective.Evaluate(o.PerDeviceEvalBatchSize);
            evalEntry["eval_loss"] = evalLoss;
            foreach (var (k, v) in metrics) evalEntry[k] = v?.DeepClone();
        }
        else evalEntry["eval_loss"] = evalLoss = Evaluate();
        var generated = new System.Text.StringBuilder();
        if (GenerationEvaluator is { } ge)
        {
            var restore = DisableDropout();
            try
            {
                foreach (var (k, v) in ge.Evaluate())
                {
                    evalEntry[k] = v;
                    generated.Append(System.Globalization.CultureInfo.InvariantCulture, $" | {k} {v:F4}");
                }
            }
            finally { restore(); }
        }
        evalEntry["epoch"] = State.Epoch;
        evalEntry["step"] = State.GlobalStep;
        AddLog(evalEntry, tb: true);
        Progress.Line($"step {State.GlobalStep}/{MaxSteps} | eval_loss {evalLoss:F4}{generated}");
        string key = BestMetricKey(o);
        bool greater = o.GreaterIsBetter ?? !key.EndsWith("loss", StringComparison.Ordinal);
        double metric = key == "eval_loss" ? evalLoss
            : evalEntry[key] is JsonValue mv && mv.TryGetValue<double>(out var md) ? md
            : throw new ConfigException($"training.metric_for_best_model: {key} was not logged by this evaluation (logged: {string.Join(", ", evalEntry.Select(kv => kv.Key))})");
        bool Better(double a, double b) => greater ? a > b : a < b;
        // EarlyStoppingCallback.check_metric_value runs before the best metric is updated (compares with the old best).
        bool stop = false;
        if (o.EarlyStoppingPatience is { } patience)
        {
            if (State.BestMetric is not { } b || (Better(metric, b) && Math.Abs(metric - b) > o.EarlyStoppingThreshold)) _patienceCounter = 0;
            else _patienceCounter++;
            if (_patienceCounter >= patience)
            {
                Progress.Line($"early stopping: {o.MetricForBestModel} did not improve by more than {o.EarlyStoppingThreshold} for {patience} evaluation(s)");
                stop = true;
            }
        }
        _newBest = State.BestMetric is not { } best || Better(metric, best);
        if (_newBest) State.BestMetric = metric;
        return stop;
    }

    private string? ResolveResume(string? resume)
    {
        if (string.IsNullOrWhiteSpace(resume) || resume.Equals("false", StringComparison.OrdinalIgnoreCase)) return null;
        if (resume.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            // Newest checkpoint that validates; each one skipped is named with its reason.
            foreach (var (_, path) in CheckpointFolders.List(Options.OutputDir).Reverse())
            {
                var p = CheckpointValidator.Problem(path);
                if (p == null) return path;
                Progress.Line($"warning: skipping {Path.GetFileName(path)}: {p}; falling back to the previous checkpoint");
            }
            Progress.Line($"resume_from_checkpoint=true but {Options.OutputDir} has no usable checkpoint; starting fresh");
            return null;
        }
        var problem = CheckpointValidator.Problem(resume);
        if (problem != null) throw new TrainingSetupException($"resume_from_checkpoint '{resume}' is not a usable checkpoint: {problem}");
        return resume;
    }
}
