// Learning-rate schedules with transformers' semantics (optimization.py get_scheduler: the lr multiplier at a step).
namespace TuneSharp.Nn.Optim;

/// <summary>
/// The multiplier λ(step) applied to the base learning rate, where step counts optimizer steps from 0.
/// Matches transformers' LambdaLR schedules: step k of the optimizer uses base_lr·λ(k).
/// </summary>
public sealed class LrSchedule
{
    public static readonly IReadOnlyList<string> Names =
        ["linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup"];

    private LrSchedule(string name, int warmupSteps, int totalSteps, double numCycles, double power, double lrEndRatio)
    {
        Name = name;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
        NumCycles = numCycles;
        Power = power;
        LrEndRatio = lrEndRatio;
    }

    public string Name { get; }

    public int WarmupSteps { get; }

    public int TotalSteps { get; }

    public double NumCycles { get; }

    public double Power { get; }

    public double LrEndRatio { get; }

    /// <summary>
    /// Creates a schedule. Warmup is <paramref name="warmupSteps"/> when &gt; 0, else ceil(total·<paramref name="warmupRatio"/>)
    /// (TrainingArguments.get_warmup_steps). <paramref name="numCycles"/> defaults to 0.5 for cosine (a half wave) and 1 for
    /// cosine_with_restarts; polynomial decays to <paramref name="lrEnd"/> (1e-7) with <paramref name="power"/> (1.0).
    /// </summary>
    public static LrSchedule Create(string name, int totalSteps, int warmupSteps = 0, double warmupRatio = 0,
        double? numCycles = null, double power = 1.0, double lrEnd = 1e-7, double baseLearningRate = 1.0)
    {
        var key = name.Trim().ToLowerInvariant();
        if (!Names.Contains(key))
            throw new ConfigException($"unknown lr_scheduler_type '{name}'; supported: {string.Join(", ", Names)}");
        if (totalSteps <= 0) throw new ConfigException($"the schedule needs a positive number of training steps (got {totalSteps})");
        if (warmupSteps < 0) throw new ConfigException($"warmup_steps must be ≥ 0 (got {warmupSteps})");
        if (warmupRatio < 0 || warmupRatio > 1) throw new ConfigException($"warmup_ratio must be in [0, 1] (got {warmupRatio})");
        int warmup = warmupSteps > 0 ? warmupSteps : (int)Math.Ceiling(totalSteps * warmupRatio);
        double cycles = numCycles ?? (key == "cosine_with_restarts" ? 1.0 : 0.5);
        if (key == "polynomial" && !(baseLearningRate > lrEnd))
            throw new ConfigException($"polynomial schedule: lr_end ({lrEnd}) must be smaller than the initial learning rate ({baseLearningRate})");
        return new LrSchedule(key, warmup, totalSteps, cycles, power, lrEnd / baseLearningRate);
    }

    /// <summary>λ(step): multiply the base learning rate by this for optimizer step <paramref name="step"/> (0-based).</summary>
    public double Factor(int step)
    {
        if (Name == "constant") return 1.0;
        if (step < WarmupSteps) return step / (double)Math.Max(1, WarmupSteps);
        double progress = (step - WarmupSteps) / (double)Math.Max(1, TotalSteps - WarmupSteps);
        switch (Name)
        {
            case "constant_with_warmup":
                return 1.0;
            case "linear":
                return Math.Max(0.0, (TotalSteps - step) / (double)Math.Max(1, TotalSteps - WarmupSteps));
            case "cosine":
                return Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * NumCycles * 2.0 * progress)));
            case "cosine_with_restarts":
                if (progress >= 1.0) return 0.0;
                return Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * (NumCycles * progress % 1.0))));
            case "polynomial":
                if (step > TotalSteps) return LrEndRatio;
                double remaining = 1.0 - (step - WarmupSteps) / (double)(TotalSteps - WarmupSteps);
                return (1.0 - LrEndRatio) * Math.Pow(remaining, Power) + LrEndRatio;
            default:
                throw new InvalidOperationException(Name);
        }
    }
}
