// Sanity ranges for numeric run settings, checked when a run config is bound (issue 14: learning_rate 1e9, test_size 1.5, threads 100000 were accepted).
using System.Globalization;

namespace TuneSharp.Training.Config;

/// <summary>
/// Numbers a run config may hold: each out-of-range value fails with the key, the value and the allowed range, before
/// any model or data is loaded. Ranges are wide (far beyond useful settings) but exclude values that can only be typos.
/// </summary>
public static class TrainingOptionsLimits
{
    public const double MaxLearningRate = 1.0;
    public const double MaxEpochs = 100_000;
    public const int MaxMaxSteps = 100_000_000;
    public const int MaxThreads = 1024;
    public const int MaxBatchSize = 1_000_000;
    public const int MaxSeqLength = 1 << 24;

    /// <summary>Checks a whole run config; <paramref name="source"/> names the file (or "command line").</summary>
    public static void Validate(RunConfig config, string source)
    {
        Validate(config.Training, source);
        var d = config.Dataset;
        if (!double.IsFinite(d.TestSize) || d.TestSize < 0 || (d.TestSize >= 1 && d.TestSize != Math.Floor(d.TestSize)))
            throw Fail(source, "dataset.test_size", d.TestSize, "a fraction in [0, 1) or a whole number of rows ≥ 1");
        if (d.MaxSamples < 0) throw Fail(source, "dataset.max_samples", d.MaxSamples, "0 (all rows) or a positive count");
        var l = config.Lora;
        if (l.Enabled)
        {
            if (l.R < 1 || l.R > Nn.Lora.LoraConfig.MaxR) throw Fail(source, "lora.r", l.R, $"1..{Nn.Lora.LoraConfig.MaxR}");
            if (!(l.LoraAlpha > 0) || !double.IsFinite(l.LoraAlpha) || l.LoraAlpha > 1e6) throw Fail(source, "lora.lora_alpha", l.LoraAlpha, "(0, 1e6]");
            if (!(l.LoraDropout >= 0 && l.LoraDropout < 1)) throw Fail(source, "lora.lora_dropout", l.LoraDropout, "[0, 1)");
        }
    }

    /// <summary>Checks the training options alone (the trainer calls this too, for options built in code).</summary>
    public static void Validate(TrainingOptions o, string source = "training options")
    {
        if (!double.IsFinite(o.LearningRate) || o.LearningRate < 0 || o.LearningRate > MaxLearningRate)
            throw Fail(source, "training.learning_rate", o.LearningRate, $"0..{MaxLearningRate} (typical: 1e-5 to 1e-3)");
        if (!double.IsFinite(o.NumTrainEpochs) || o.NumTrainEpochs < 0 || o.NumTrainEpochs > MaxEpochs)
            throw Fail(source, "training.num_train_epochs", o.NumTrainEpochs, $"0..{MaxEpochs} (or set max_steps)");
        if (o.MaxSteps > MaxMaxSteps) throw Fail(source, "training.max_steps", o.MaxSteps, $"-1 (use epochs) or 1..{MaxMaxSteps}");
        if (o.Threads < 0 || o.Threads > MaxThreads) throw Fail(source, "training.threads", o.Threads, $"0 (all cores) or 1..{MaxThreads}");
        if (o.PerDeviceTrainBatchSize > MaxBatchSize) throw Fail(source, "training.per_device_train_batch_size", o.PerDeviceTrainBatchSize, $"1..{MaxBatchSize}");
        if (o.PerDeviceEvalBatchSize > MaxBatchSize) throw Fail(source, "training.per_device_eval_batch_size", o.PerDeviceEvalBatchSize, $"1..{MaxBatchSize}");
        if (o.GradientAccumulationSteps > MaxBatchSize) throw Fail(source, "training.gradient_accumulation_steps", o.GradientAccumulationSteps, $"1..{MaxBatchSize}");
        if (o.MaxSeqLength > MaxSeqLength) throw Fail(source, "training.max_seq_length", o.MaxSeqLength, $"2..{MaxSeqLength}");
        if (!(o.WarmupRatio >= 0 && o.WarmupRatio <= 1)) throw Fail(source, "training.warmup_ratio", o.WarmupRatio, "[0, 1]");
        if (!(o.WeightDecay >= 0 && o.WeightDecay <= 10)) throw Fail(source, "training.weight_decay", o.WeightDecay, "[0, 10]");
        if (!(o.AdamBeta1 >= 0 && o.AdamBeta1 < 1)) throw Fail(source, "training.adam_beta1", o.AdamBeta1, "[0, 1)");
        if (!(o.AdamBeta2 >= 0 && o.AdamBeta2 < 1)) throw Fail(source, "training.adam_beta2", o.AdamBeta2, "[0, 1)");
        if (!(o.AdamEpsilon > 0 && o.AdamEpsilon <= 1)) throw Fail(source, "training.adam_epsilon", o.AdamEpsilon, "(0, 1]");
        if (!double.IsFinite(o.MaxGradNorm) || o.MaxGradNorm < 0) throw Fail(source, "training.max_grad_norm", o.MaxGradNorm, "≥ 0 (0 disables clipping)");
        if (o.WarmupSteps < 0) throw Fail(source, "training.warmup_steps", o.WarmupSteps, "≥ 0");
    }

    private static ConfigException Fail(string source, string key, double value, string range) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{source}: {key} = {value} is outside the allowed range {range}; fix '{key}' in the config or on the command line"));
}
