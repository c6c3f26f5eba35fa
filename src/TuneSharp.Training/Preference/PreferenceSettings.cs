// Settings of a preference objective (TRL DPOConfig / ORPOConfig / CPOConfig names), parsed from TrainingOptions.
using TuneSharp.Training.Sft;

namespace TuneSharp.Training.Preference;

/// <summary>β, ε, γ, α of the chosen method; see <see cref="PreferenceLoss"/> for the formulas.</summary>
public sealed record PreferenceSettings(PreferenceMethod Method, double Beta = 0.1, double LabelSmoothing = 0, double SimpoGamma = 0.5, double CpoAlpha = 0)
{
    /// <summary>DPO needs reference log-probs; ORPO and SimPO are reference-free.</summary>
    public bool NeedsReference => Method is PreferenceMethod.DpoSigmoid or PreferenceMethod.DpoIpo or PreferenceMethod.DpoHinge;

    /// <summary>IPO, ORPO and SimPO use log-probs averaged over the answer tokens (TRL average_log_prob / ipo normalisation).</summary>
    public bool AveragesLogProbs => Method is PreferenceMethod.DpoIpo or PreferenceMethod.Orpo or PreferenceMethod.Simpo;

    /// <summary>ORPO always adds the chosen NLL; SimPO when cpo_alpha ≠ 0.</summary>
    public bool HasNll => Method == PreferenceMethod.Orpo || (Method == PreferenceMethod.Simpo && CpoAlpha != 0);

    /// <summary>
    /// From training.method / loss_type / beta / label_smoothing / simpo_gamma / cpo_alpha; null for method sft.
    /// Invalid combinations are <see cref="TrainingSetupException"/>s naming the key.
    /// </summary>
    public static PreferenceSettings? FromOptions(TrainingOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        string method = (o.Method ?? "sft").Trim().ToLowerInvariant();
        string lossType = (o.LossType ?? "sigmoid").Trim().ToLowerInvariant();
        if (method == "sft") return null;
        var m = method switch
        {
            "dpo" => lossType switch
            {
                "sigmoid" => PreferenceMethod.DpoSigmoid,
                "ipo" => PreferenceMethod.DpoIpo,
                "hinge" => PreferenceMethod.DpoHinge,
                _ => throw new TrainingSetupException($"training.loss_type '{o.LossType}' is not one of sigmoid, ipo, hinge (method dpo)"),
            },
            "orpo" => PreferenceMethod.Orpo,
            "simpo" => PreferenceMethod.Simpo,
            _ => throw new TrainingSetupException($"training.method '{o.Method}' is not one of sft, dpo, orpo, simpo"),
        };
        if (m is PreferenceMethod.Orpo or PreferenceMethod.Simpo && lossType != "sigmoid")
            throw new TrainingSetupException($"training.loss_type '{o.LossType}' applies to method dpo only; remove it for {method}");
        if (!(o.Beta > 0) || !double.IsFinite(o.Beta)) throw new TrainingSetupException($"training.beta must be a finite number > 0 (got {o.Beta})");
        if (!(o.LabelSmoothing >= 0 && o.LabelSmoothing < 0.5)) throw new TrainingSetupException($"training.label_smoothing must be in [0, 0.5) (got {o.LabelSmoothing})");
        if (o.LabelSmoothing != 0 && m is not (PreferenceMethod.DpoSigmoid or PreferenceMethod.Simpo))
            throw new TrainingSetupException($"training.label_smoothing applies to dpo with loss_type sigmoid and to simpo (got method {method}, loss_type {lossType})");
        if (!double.IsFinite(o.SimpoGamma)) throw new TrainingSetupException($"training.simpo_gamma must be finite (got {o.SimpoGamma})");
        if (o.CpoAlpha is { } a && (!double.IsFinite(a) || a < 0)) throw new TrainingSetupException($"training.cpo_alpha must be ≥ 0 (got {a})");
        if (o.CpoAlpha is not null && m != PreferenceMethod.Simpo) throw new TrainingSetupException("training.cpo_alpha applies to method simpo only");
        return new PreferenceSettings(m, o.Beta, o.LabelSmoothing, o.SimpoGamma, o.CpoAlpha ?? 0);
    }
}
