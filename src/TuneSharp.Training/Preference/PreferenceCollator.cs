// Truncation and collation of preference pairs as TRL v0.28.0 DPOTrainer does it: tokenize_row (prompt keeps its last
// max_prompt_length tokens, answers their first max_completion_length) then concatenated_forward (prompt + answer
// longer than max_length keeps its end, truncation_mode keep_end, or its start, keep_start), right padding.
using TuneSharp.Training.Sft;

namespace TuneSharp.Training.Preference;

/// <summary>
/// Builds <see cref="PreferenceBatch"/>es. The same truncation serves DPO, ORPO and SimPO here (TRL's ORPO/CPO
/// trainers carry an older variant that truncates answers to max_length − longest answer; we use DPO's for all).
/// </summary>
public sealed class PreferenceCollator(int maxLength, int? maxPromptLength, int? maxCompletionLength, bool keepEnd, int padTokenId, PreferenceSettings settings)
{
    /// <summary>One sequence after truncation: ids and, per token, whether it belongs to the answer.</summary>
    public (int[] Ids, bool[] Answer) Sequence(int[] prompt, int[] answer)
    {
        if (maxPromptLength is { } mp && prompt.Length > mp) prompt = prompt[^mp..];
        if (maxCompletionLength is { } mc && answer.Length > mc) answer = answer[..mc];
        var ids = new int[prompt.Length + answer.Length];
        prompt.CopyTo(ids, 0);
        answer.CopyTo(ids, prompt.Length);
        var isAnswer = new bool[ids.Length];
        for (int i = prompt.Length; i < ids.Length; i++) isAnswer[i] = true;
        if (ids.Length > maxLength)
        {
            ids = keepEnd ? ids[^maxLength..] : ids[..maxLength];
            isAnswer = keepEnd ? isAnswer[^maxLength..] : isAnswer[..maxLength];
        }
        return (ids, isAnswer);
    }

    /// <summary>Scored answer tokens of a pair after truncation (chosen, rejected): a pair with 0 on a side has no log-prob there.</summary>
    public (int Chosen, int Rejected) AnswerTokens(PreferencePair p) =>
        (Sequence(p.PromptIds, p.ChosenIds).Answer.Skip(1).Count(a => a), Sequence(p.PromptIds, p.RejectedIds).Answer.Skip(1).Count(a => a));

    public PreferenceBatch Collate(IReadOnlyList<PreferencePair> pairs)
    {
        int p = pairs.Count;
        if (p == 0) throw new ArgumentException("empty preference batch");
        var seqs = new (int[] Ids, bool[] Answer)[2 * p];
        for (int i = 0; i < p; i++)
        {
            seqs[i] = Sequence(pairs[i].PromptIds, pairs[i].ChosenIds);
            seqs[p + i] = Sequence(pairs[i].PromptIds, pairs[i].RejectedIds);
        }
        int t = seqs.Max(s => s.Ids.Length);
        int rows = 2 * p, n = rows * t;
        var ids = new int[n];
        var mask = new int[n];
        var labels = new int[n];
        var seqOf = new int[n];
        var nll = new bool[n];
        var answerTokens = new int[rows];
        Array.Fill(ids, padTokenId);
        Array.Fill(labels, TokenizedExample.IgnoreIndex);
        Array.Fill(seqOf, -1);
        int tokens = 0;
        bool nllWhole = settings.Method == PreferenceMethod.Orpo;
        bool nllAnswer = settings.Method == PreferenceMethod.Simpo && settings.CpoAlpha != 0;
        for (int s = 0; s < rows; s++)
        {
            var (sid, ans) = seqs[s];
            bool chosen = s < p;
            tokens += sid.Length;
            for (int j = 0; j < sid.Length; j++)
            {
                int at = s * t + j;
                ids[at] = sid[j];
                mask[at] = 1;
                if (j + 1 >= sid.Length) continue;
                // Position j predicts token j + 1 (the causal shift).
                bool answer = ans[j + 1];
                bool inNll = chosen && (nllWhole || (nllAnswer && answer));
                if (!answer && !inNll) continue;
                labels[at] = sid[j + 1];
                if (answer)
                {
                    seqOf[at] = s;
                    answerTokens[s]++;
                }
                nll[at] = inNll;
            }
        }
        return new PreferenceBatch(ids, mask, p, t, labels, seqOf, nll, answerTokens, tokens);
    }
}
