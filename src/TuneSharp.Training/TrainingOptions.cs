// Training hyperparameters under transformers' TrainingArguments / TRL SFTConfig names (snake_case in YAML and JSON).
namespace TuneSharp.Training;

/// <summary>
/// Every option the trainer supports, named after <c>transformers.TrainingArguments</c> and TRL's <c>SFTConfig</c>
/// (PascalCase here, snake_case in YAML/CLI: <c>per_device_train_batch_size</c> ↔ <see cref="PerDeviceTrainBatchSize"/>).
/// Defaults follow transformers unless noted.
/// </summary>
public sealed class TrainingOptions
{
    public string OutputDir { get; set; } = "outputs";

    public int PerDeviceTrainBatchSize { get; set; } = 8;

    public int PerDeviceEvalBatchSize { get; set; } = 8;

    public int GradientAccumulationSteps { get; set; } = 1;

    public double NumTrainEpochs { get; set; } = 3;

    /// <summary>When &gt; 0, overrides <see cref="NumTrainEpochs"/> (transformers semantics).</summary>
    public int MaxSteps { get; set; } = -1;

    public double LearningRate { get; set; } = 5e-5;

    public double WeightDecay { get; set; }

    public double AdamBeta1 { get; set; } = 0.9;

    public double AdamBeta2 { get; set; } = 0.999;

    public double AdamEpsilon { get; set; } = 1e-8;

    /// <summary>Global-norm clipping; 0 disables it.</summary>
    public double MaxGradNorm { get; set; } = 1.0;

    /// <summary>adamw_torch (alias adamw), adamw_8bit (alias adamw_bnb_8bit, paged_adamw_8bit).</summary>
    public string Optim { get; set; } = "adamw_torch";

    /// <summary>linear, cosine, cosine_with_restarts, polynomial, constant, constant_with_warmup.</summary>
    public string LrSchedulerType { get; set; } = "linear";

    public int WarmupSteps { get; set; }

    public double WarmupRatio { get; set; }

    public int LoggingSteps { get; set; } = 10;

    /// <summary>no, steps or epoch.</summary>
    public string EvalStrategy { get; set; } = "no";

    /// <summary>Defaults to <see cref="LoggingSteps"/> when unset (transformers).</summary>
    public int? EvalSteps { get; set; }

    /// <summary>no, steps or epoch.</summary>
    public string SaveStrategy { get; set; } = "steps";

    public int SaveSteps { get; set; } = 500;

    public int? SaveTotalLimit { get; set; }

    public bool LoadBestModelAtEnd { get; set; }

    public string MetricForBestModel { get; set; } = "eval_loss";

    /// <summary>Defaults to false for losses (metric names ending in "loss"), true otherwise.</summary>
    public bool? GreaterIsBetter { get; set; }

    /// <summary>Stop after this many evaluations without improvement (EarlyStoppingCallback); null = off.</summary>
    public int? EarlyStoppingPatience { get; set; }

    public double EarlyStoppingThreshold { get; set; }

    public ulong Seed { get; set; } = 42;

    public bool GradientCheckpointing { get; set; }

    /// <summary>TRL SFTConfig max_seq_length (max_length in newer TRL).</summary>
    public int MaxSeqLength { get; set; } = 1024;

    public bool Packing { get; set; }

    /// <summary>Loss only on completion/assistant tokens (labels −100 on the prompt).</summary>
    public bool CompletionOnlyLoss { get; set; } = true;

    /// <summary>null/false = fresh start; "true" = latest checkpoint in output_dir; otherwise a checkpoint folder.</summary>
    public string? ResumeFromCheckpoint { get; set; }

    /// <summary>A fresh run into an output_dir holding an earlier run's checkpoints or results replaces them (else it refuses).</summary>
    public bool OverwriteOutputDir { get; set; }

    /// <summary>Shuffle the training data each epoch (seeded); false keeps file order.</summary>
    public bool Shuffle { get; set; } = true;

    /// <summary>What to do when a loss or gradient is NaN/Inf: "abort" (default) or "skip" the step.</summary>
    public string NanPolicy { get; set; } = "abort";

    /// <summary>Trackers: any of "jsonl", "tensorboard" (console progress is always on).</summary>
    public List<string> ReportTo { get; set; } = ["jsonl", "tensorboard"];

    /// <summary>Number of worker threads for kernels (0 = all cores).</summary>
    public int Threads { get; set; }

    // ---- Preference tuning (TRL DPOConfig / ORPOConfig / CPOConfig names; used when Method is not "sft") ----

    /// <summary>sft (default), dpo, orpo or simpo.</summary>
    public string Method { get; set; } = "sft";

    /// <summary>DPO loss_type: sigmoid (default), ipo or hinge.</summary>
    public string LossType { get; set; } = "sigmoid";

    /// <summary>DPO β (KL strength), ORPO λ, SimPO β (TRL's beta; default 0.1).</summary>
    public double Beta { get; set; } = 0.1;

    /// <summary>Conservative DPO / SimPO label smoothing ε (0 = off).</summary>
    public double LabelSmoothing { get; set; }

    /// <summary>SimPO target reward margin γ (CPOConfig simpo_gamma).</summary>
    public double SimpoGamma { get; set; } = 0.5;

    /// <summary>SimPO NLL weight on the chosen answers (CPOConfig cpo_alpha); unset = 0 (pure SimPO).</summary>
    public double? CpoAlpha { get; set; }

    /// <summary>Prompt tokens kept (the last ones) before prompt + answer are joined (TRL max_prompt_length).</summary>
    public int? MaxPromptLength { get; set; } = 512;

    /// <summary>Answer tokens kept (the first ones) (TRL max_completion_length); unset = no limit.</summary>
    public int? MaxCompletionLength { get; set; }

    /// <summary>keep_end (default) or keep_start: which end of prompt + answer survives max_seq_length (TRL max_length).</summary>
    public string TruncationMode { get; set; } = "keep_end";

    /// <summary>DPO: compute the reference log-probs once over the data before training (TRL precompute_ref_log_probs).</summary>
    public bool PrecomputeRefLogProbs { get; set; }
}
