// SftTrainer driven by a pluggable TrainingObjective (preference methods): same loop, optimizer, schedule, logging,
// checkpoints and resume as SFT; only the rows and the micro-batch loss come from the objective.
using System.Text.Json.Nodes;
using TuneSharp.Models;
using TuneSharp.Nn.Lora;

namespace TuneSharp.Training.Sft;

public sealed partial class SftTrainer
{
    private readonly TrainingObjective? _objective;

    /// <summary>
    /// A trainer whose rows and micro-batch loss come from <paramref name="objective"/> (see
    /// <see cref="Preference.PreferenceTrainer"/>); options, parameters, checkpoints and logging as for SFT.
    /// </summary>
    internal SftTrainer(CausalLM model, string? tokenizerDir, TrainingOptions options, TrainingObjective objective, LoraModel? lora)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(objective);
        _model = model;
        _lora = lora;
        _objective = objective;
        Options = options;
        _tokenizerDir = tokenizerDir ?? (Directory.Exists(model.Source) ? model.Source : null);
        ValidateOptions(options, objective.EvalRows > 0);
        if (objective.Rows == 0) throw new TrainingSetupException("training data has no rows");
        _train = [];
        _collator = new SftCollator(options.MaxSeqLength, 0);
        InitCommon();
    }
}

internal static class ObjectiveMetricsExtensions
{
    /// <summary>Adds the objective's window metrics (TRL names) to a training log entry.</summary>
    public static JsonObject WithObjectiveMetrics(this JsonObject entry, TrainingObjective? objective)
    {
        if (objective == null) return entry;
        foreach (var (k, v) in objective.DrainMetrics()) entry[k] = v?.DeepClone();
        return entry;
    }
}
