// Per-pair preference losses and their derivatives, as TRL v0.28.0 computes them:
//   DPO  trl/trainer/dpo_trainer.py DPOTrainer.dpo_loss (L1062–1283; tag v0.28.0, commit 49ef3342): logits = (π_c − π_r) − (ref_c − ref_r);
//        sigmoid L1152–1156, hinge L1174–1175, ipo L1177–1179; rewards L1280–1281; IPO averages log-probs over the
//        answer tokens in concatenated_forward (L1716–1717); logits/* = mean logit over answer positions (L1754–1755).
//   ORPO trl/experimental/orpo/orpo_trainer.py odds_ratio_loss (L627–659) with log1mexp (L78–82); the total loss is
//        policy_nll_loss − mean(β·log σ(log_odds)) (get_batch_loss_metrics, L805), the NLL over the whole chosen
//        sequence, prompt included (concatenated_forward L750–757); log-probs averaged (L759–763).
//   SimPO trl/experimental/cpo/cpo_trainer.py cpo_loss, loss_type "simpo" (L669–676): logits = π_c − π_r − γ/β;
//        rewards β·π (L700–701); loss = mean + cpo_alpha·nll (L844); log-probs averaged (L804).
// Everything runs in double; the inputs are sequence log-probs (averaged where the method says so).
namespace TuneSharp.Training.Preference;

/// <summary>Loss of one pair and its partial derivatives with respect to the policy's chosen and rejected log-probs.</summary>
public readonly record struct PairLoss(double Loss, double DChosen, double DRejected, double ChosenReward, double RejectedReward,
    double LogOddsRatio = 0, double LogOdds = 0);

public static class PreferenceLoss
{
    /// <summary>log σ(x) without overflow: −softplus(−x).</summary>
    public static double LogSigmoid(double x) => x >= 0 ? -Math.Log(1 + Math.Exp(-x)) : x - Math.Log(1 + Math.Exp(x));

    public static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    /// <summary>log(1 − eˣ) for x &lt; 0, branching at −ln 2 as TRL's log1mexp to avoid cancellation.</summary>
    public static double Log1mExp(double x) => x < -0.6931471805599453 ? Math.Log(1 - Math.Exp(x)) : Math.Log(-double.ExpM1(x));

    /// <summary>
    /// One pair. <paramref name="chosen"/>/<paramref name="rejected"/>: the policy's log-probs (averaged for IPO, ORPO,
    /// SimPO); <paramref name="refChosen"/>/<paramref name="refRejected"/>: the reference model's (DPO only).
    /// The ORPO loss here is the odds-ratio part −β·log σ(log odds) only; the NLL term is added per batch.
    /// </summary>
    public static PairLoss Pair(PreferenceSettings s, double chosen, double rejected, double refChosen = 0, double refRejected = 0)
    {
        double beta = s.Beta, eps = s.LabelSmoothing;
        switch (s.Method)
        {
            case PreferenceMethod.DpoSigmoid:
            case PreferenceMethod.DpoHinge:
            case PreferenceMethod.DpoIpo:
            {
                double x = chosen - rejected - (refChosen - refRejected);
                double loss, dx;
                if (s.Method == PreferenceMethod.DpoSigmoid)
                {
                    loss = -LogSigmoid(beta * x) * (1 - eps) - LogSigmoid(-beta * x) * eps;
                    dx = -(1 - eps) * beta * Sigmoid(-beta * x) + eps * beta * Sigmoid(beta * x);
                }
                else if (s.Method == PreferenceMethod.DpoHinge)
                {
                    double m = 1 - beta * x;
                    loss = Math.Max(0, m);
                    dx = m > 0 ? -beta : 0; // torch.relu's gradient at 0 is 0
                }
                else
                {
                    double d = x - 1 / (2 * beta);
                    loss = d * d;
                    dx = 2 * d;
                }
                return new PairLoss(loss, dx, -dx, beta * (chosen - refChosen), beta * (rejected - refRejected));
            }
            case PreferenceMethod.Orpo:
            {
                double logOdds = chosen - rejected - (Log1mExp(chosen) - Log1mExp(rejected));
                double ratio = LogSigmoid(logOdds);
                // d log1mexp(x)/dx = −eˣ/(1 − eˣ), so ∂logOdds/∂c = 1/(1 − e^c), ∂logOdds/∂r = −1/(1 − e^r).
                double dRatio = Sigmoid(-logOdds);
                double dc = -beta * dRatio / -double.ExpM1(chosen);
                double dr = beta * dRatio / -double.ExpM1(rejected);
                return new PairLoss(-beta * ratio, dc, dr, beta * chosen, beta * rejected, ratio, logOdds);
            }
            case PreferenceMethod.Simpo:
            {
                double x = chosen - rejected - s.SimpoGamma / beta;
                double loss = -LogSigmoid(beta * x) * (1 - eps) - LogSigmoid(-beta * x) * eps;
                double dx = -(1 - eps) * beta * Sigmoid(-beta * x) + eps * beta * Sigmoid(beta * x);
                return new PairLoss(loss, dx, -dx, beta * chosen, beta * rejected);
            }
            default: throw new ArgumentOutOfRangeException(nameof(s), s.Method, "unknown preference method");
        }
    }
}
