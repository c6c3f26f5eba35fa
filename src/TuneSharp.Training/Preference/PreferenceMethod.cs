// The preference objectives TuneSharp trains, named as TRL's trainers and loss types.
namespace TuneSharp.Training.Preference;

public enum PreferenceMethod
{
    /// <summary>DPOTrainer, loss_type "sigmoid" (with label_smoothing: conservative DPO).</summary>
    DpoSigmoid,

    /// <summary>DPOTrainer, loss_type "ipo" (log-probs averaged over answer tokens).</summary>
    DpoIpo,

    /// <summary>DPOTrainer, loss_type "hinge" (SLiC).</summary>
    DpoHinge,

    /// <summary>ORPOTrainer: NLL on the chosen sequence − λ·log σ(log odds ratio).</summary>
    Orpo,

    /// <summary>CPOTrainer with loss_type "simpo": reference-free, length-normalised, margin γ.</summary>
    Simpo,
}
