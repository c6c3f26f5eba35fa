// The three judging protocols: pointwise 1–5 rubric, MT-Bench single-answer 1–10, pairwise A/B with position swap.
namespace TuneSharp.Evaluation.Judge;

public enum JudgeMode
{
    /// <summary>Scores 1–5 against a reference (the trade-Q&amp;A seed's truthfulness rubric by default).</summary>
    Pointwise,

    /// <summary>MT-Bench single-answer grading, 1–10 (FastChat judge prompt single-v1 / single-math-v1 with a reference).</summary>
    MtBench,

    /// <summary>MT-Bench pair-v2: which of two answers is better, asked in both orders.</summary>
    Pairwise,
}
