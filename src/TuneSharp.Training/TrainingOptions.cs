// Training hyperparameters under transformers' TrainingArguments / TRL SFTConfig names (snake_case in YAML and JSON).
using System.ComponentModel;

namespace TuneSharp.Training;

/// <summary>
/// Every option the trainer supports, named after <c>transformers.TrainingArguments</c> and TRL's <c>SFTConfig</c>
/// (PascalCase here, snake_case in YAML/CLI: <c>per_device_train_batch_size</c> ↔ <see cref="PerDeviceTrainBatchSize"/>).
/// Defaults follow transformers unless noted. Each key's [Description] feeds docs/config-keys.md (ConfigKeys.Table).
/// </summary>
public sealed class TrainingOptions
{
    [Description("Folder for checkpoints, metrics.jsonl, TensorBoard runs/, the final adapter (or model) and run_config.yaml.")]
    public string OutputDir { get; set; } = "outputs";

    [Description("Examples per training micro-batch.")]
    public int PerDeviceTrainBatchSize { get; set; } = 8;

    [Description("Examples per evaluation batch.")]
    public int PerDeviceEvalBatchSize { get; set; } = 8;

    [Description("Micro-batches per optimizer step (the effective batch is batch size × this).")]
    public int GradientAccumulationSteps { get; set; } = 1;

    [Description("Passes over the training data (fractions allowed) when max_steps is not set.")]
    public double NumTrainEpochs { get; set; } = 3;

    [Description("Optimizer steps to run; > 0 overrides num_train_epochs.")]
    public int MaxSteps { get; set; } = -1;

    [Description("Peak learning rate of the schedule.")]
    public double LearningRate { get; set; } = 5e-5;

    [Description("Decoupled AdamW weight decay.")]
    public double WeightDecay { get; set; }

    [Description("AdamW β1.")]
    public double AdamBeta1 { get; set; } = 0.9;

    [Description("AdamW β2.")]
    public double AdamBeta2 { get; set; } = 0.999;

    [Description("AdamW ε.")]
    public double AdamEpsilon { get; set; } = 1e-8;

    [Description("Global gradient-norm clipping threshold; 0 disables clipping.")]
    public double MaxGradNorm { get; set; } = 1.0;

    [Description("Optimizer: adamw_torch (aliases adamw, adamw_hf, adamw_torch_fused) or adamw_8bit (aliases adamw_bnb_8bit, paged_adamw_8bit; 8-bit block-quantized state).")]
    public OptimizerType Optim { get; set; } = OptimizerType.AdamwTorch;

    [Description("Learning-rate schedule after warmup (transformers get_scheduler semantics).")]
    public SchedulerType LrSchedulerType { get; set; } = SchedulerType.Linear;

    [Description("Linear warmup steps; when 0, warmup_ratio × total steps is used.")]
    public int WarmupSteps { get; set; }

    [Description("Fraction of the total steps used for linear warmup (when warmup_steps is 0).")]
    public double WarmupRatio { get; set; }

    [Description("Log loss, learning rate, grad norm and throughput every N steps.")]
    public int LoggingSteps { get; set; } = 10;

    [Description("When to compute eval_loss: no, every eval_steps steps, or at each epoch end; needs dataset.eval_path or test_size.")]
    public IntervalStrategy EvalStrategy { get; set; } = IntervalStrategy.No;

    [Description("Steps between evaluations with eval_strategy steps; default logging_steps.")]
    public int? EvalSteps { get; set; }

    [Description("Metrics of generated answers computed at each evaluation and logged as eval_NAME: rougeL, rouge1, rouge2, accuracy, exact_match, f1, bleu, chrf, chrf++, semscore (needs eval_embedding_model). The prompt is each eval row up to its trained answer, the reference that answer; greedy decoding.")]
    public List<string> EvalGenerationMetrics { get; set; } = [];

    [Description("New tokens generated per eval row for eval_generation_metrics.")]
    public int EvalGenerationMaxNewTokens { get; set; } = 64;

    [Description("Eval rows generated for eval_generation_metrics (the first N of the eval set); 0 = all.")]
    public int EvalGenerationSamples { get; set; } = 32;

    [Description("Sentence-transformers folder (e.g. all-MiniLM-L6-v2) whose embeddings score semscore in eval_generation_metrics.")]
    public string? EvalEmbeddingModel { get; set; }

    [Description("When to write a checkpoint-N folder: no, every save_steps steps, or at each epoch end.")]
    public IntervalStrategy SaveStrategy { get; set; } = IntervalStrategy.Steps;

    [Description("Steps between checkpoints with save_strategy steps.")]
    public int SaveSteps { get; set; } = 500;

    [Description("Keep at most this many checkpoints (oldest deleted; the best one is kept with load_best_model_at_end); null keeps all.")]
    public int? SaveTotalLimit { get; set; }

    [Description("After training, load the checkpoint with the best metric_for_best_model (needs save_strategy = eval_strategy).")]
    public bool LoadBestModelAtEnd { get; set; }

    [Description("Metric that picks the best checkpoint and drives early stopping: eval_loss (alias loss), or eval_NAME (alias NAME) for a metric in eval_generation_metrics, e.g. eval_rougeL.")]
    public string MetricForBestModel { get; set; } = "eval_loss";

    [Description("Whether a larger metric is better; default false for metrics ending in loss, true otherwise.")]
    public bool? GreaterIsBetter { get; set; }

    [Description("Stop after this many evaluations without improvement (transformers EarlyStoppingCallback); null = off.")]
    public int? EarlyStoppingPatience { get; set; }

    [Description("Minimum improvement of the metric that resets the patience counter.")]
    public double EarlyStoppingThreshold { get; set; }

    [Description("Seed of data order, LoRA initialisation, dropout, test_size split and max_samples subset.")]
    public ulong Seed { get; set; } = 42;

    [Description("Recompute each decoder layer in backward instead of keeping its activations (less memory, ~30% more compute).")]
    public bool GradientCheckpointing { get; set; }

    [Description("Longest token sequence; longer examples are truncated (TRL max_seq_length). model.max_seq_length sets it too.")]
    public int MaxSeqLength { get; set; } = 1024;

    [Description("Concatenate examples into rows of exactly max_seq_length (TRL packing). dataset.packing sets it too.")]
    public bool Packing { get; set; }

    [Description("Train only on completion / assistant tokens (labels −100 on the prompt); false trains on every token.")]
    public bool CompletionOnlyLoss { get; set; } = true;

    [Description("true = continue from the newest checkpoint in output_dir; a folder = that checkpoint; null = fresh start.")]
    public string? ResumeFromCheckpoint { get; set; }

    [Description("A fresh run into an output_dir holding an earlier run's checkpoints or results replaces them; false refuses to start.")]
    public bool OverwriteOutputDir { get; set; }

    [Description("Shuffle the training data each epoch (seeded by seed and epoch); false keeps file order.")]
    public bool Shuffle { get; set; } = true;

    [Description("On a NaN/Inf loss or gradient: abort (stop, weights unchanged) or skip the step and count it.")]
    public NanPolicy NanPolicy { get; set; } = NanPolicy.Abort;

    [Description("Name printed on the first progress line (run NAME: training …); default: the output folder's name. tracking.run_name sets it too.")]
    public string? RunName { get; set; }

    [Description("TensorBoard event folder; default output_dir/runs. tracking.logging_dir sets it too.")]
    public string? LoggingDir { get; set; }

    [Description("Trackers: jsonl (output_dir/metrics.jsonl), tensorboard (logging_dir). Console progress is always on. tracking.report_to sets it too.")]
    public List<string> ReportTo { get; set; } = ["jsonl", "tensorboard"];

    [Description("Kernel worker threads; 0 = all cores.")]
    public int Threads { get; set; }

    // ---- Preference tuning (TRL DPOConfig / ORPOConfig / CPOConfig names; used when Method is not "sft") ----

    [Description("sft (default), dpo, orpo or simpo.")]
    public string Method { get; set; } = "sft";

    [Description("DPO loss_type: sigmoid (default), ipo or hinge.")]
    public string LossType { get; set; } = "sigmoid";

    [Description("DPO β (KL strength), ORPO λ, SimPO β (TRL's beta; default 0.1).")]
    public double Beta { get; set; } = 0.1;

    [Description("Conservative DPO / SimPO label smoothing ε (0 = off).")]
    public double LabelSmoothing { get; set; }

    [Description("SimPO target reward margin γ (CPOConfig simpo_gamma).")]
    public double SimpoGamma { get; set; } = 0.5;

    [Description("SimPO NLL weight on the chosen answers (CPOConfig cpo_alpha); unset = 0 (pure SimPO).")]
    public double? CpoAlpha { get; set; }

    [Description("Prompt tokens kept (the last ones) before prompt + answer are joined (TRL max_prompt_length).")]
    public int? MaxPromptLength { get; set; } = 512;

    [Description("Answer tokens kept (the first ones) (TRL max_completion_length); unset = no limit.")]
    public int? MaxCompletionLength { get; set; }

    [Description("keep_end (default) or keep_start: which end of prompt + answer survives max_seq_length (TRL max_length).")]
    public string TruncationMode { get; set; } = "keep_end";

    [Description("DPO: compute the reference log-probs once over the data before training (TRL precompute_ref_log_probs).")]
    public bool PrecomputeRefLogProbs { get; set; }
}
