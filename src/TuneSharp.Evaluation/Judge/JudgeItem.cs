// One thing to judge: a question, the model's answer, an optional reference, and (pairwise) a second answer.
namespace TuneSharp.Evaluation.Judge;

public sealed record JudgeItem(string Question, string Answer, string? Reference = null, string? AnswerB = null);
