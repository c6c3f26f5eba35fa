// A collated preference micro-batch: P chosen rows then P rejected rows, right-padded to one length (TRL's
// concatenated_inputs layout), with the causal shift already applied to the scoring masks.
namespace TuneSharp.Training.Preference;

/// <summary>
/// ids/mask (2P·T) row-major: rows 0..P−1 are prompt + chosen, rows P..2P−1 prompt + rejected. Position t of row s
/// scores the token at t + 1: <see cref="Labels"/> holds that token where it is scored (−100 elsewhere),
/// <see cref="AnswerSequence"/> the row s when the token belongs to the answer (it then counts in the row's log-prob,
/// −1 otherwise), and <see cref="NllPosition"/> whether it counts in the NLL term (ORPO: every token of a chosen row;
/// SimPO with cpo_alpha: the chosen answer tokens).
/// </summary>
public sealed record PreferenceBatch(int[] InputIds, int[] AttentionMask, int Pairs, int SeqLen, int[] Labels, int[] AnswerSequence,
    bool[] NllPosition, int[] AnswerTokens, int Tokens)
{
    /// <summary>2P rows.</summary>
    public int Rows => 2 * Pairs;

    public bool HasPadding => Tokens != Rows * SeqLen;
}
