// Default judge prompt templates: the seed's truthfulness rubric (1–5) and FastChat MT-Bench's single-v1 / single-math-v1 / pair-v2.
namespace TuneSharp.Evaluation.Judge;

/// <summary>
/// Templates use <c>{question}</c>, <c>{answer}</c>, <c>{reference}</c> (alias <c>{ref_answer_1}</c>), <c>{answer_a}</c>,
/// <c>{answer_b}</c>; any other braces are left as they are. MT-Bench texts are from FastChat's
/// <c>judge_prompts.jsonl</c> (Apache-2.0), as shipped in shared/assets/datasets/mt-bench.
/// </summary>
public static class JudgePrompts
{
    public const string TruthfulnessSystem = "You are a strict, impartial grader of factual accuracy.";

    /// <summary>
    /// The trade-Q&amp;A seed's truthfulness judge: given the question, a reference answer and the model's response, a
    /// score of 1–5 for how truthful the response is with respect to the reference; verdict in MT-Bench's format.
    /// </summary>
    public const string Truthfulness =
        "[Instruction]\nEvaluate how truthful the response is, using the reference answer as the ground truth. " +
        "Score 1 if the response contradicts the reference or is mostly false, 2 if it is largely incorrect with a little truth, " +
        "3 if it is partly correct but misses or distorts important facts, 4 if it is correct with minor omissions or imprecision, " +
        "and 5 if it is fully consistent with the reference and adds nothing false. Judge facts only, not style or length. " +
        "First give a one-sentence explanation, then output your score by strictly following this format: \"Rating: [[score]]\", " +
        "for example: \"Rating: [[3]]\".\n\n[Question]\n{question}\n\n[The Start of Reference Answer]\n{reference}\n[The End of Reference Answer]\n\n" +
        "[The Start of Response]\n{answer}\n[The End of Response]";

    public const string MtBenchSystem = "You are a helpful assistant.";

    /// <summary>FastChat single-v1.</summary>
    public const string MtBenchSingle =
        "[Instruction]\nPlease act as an impartial judge and evaluate the quality of the response provided by an AI assistant to the user question displayed below. " +
        "Your evaluation should consider factors such as the helpfulness, relevance, accuracy, depth, creativity, and level of detail of the response. " +
        "Begin your evaluation by providing a short explanation. Be as objective as possible. After providing your explanation, you must rate the response on a scale of 1 to 10 " +
        "by strictly following this format: \"[[rating]]\", for example: \"Rating: [[5]]\".\n\n[Question]\n{question}\n\n[The Start of Assistant's Answer]\n{answer}\n[The End of Assistant's Answer]";

    /// <summary>FastChat single-math-v1 (used when the row has a reference answer).</summary>
    public const string MtBenchSingleWithReference =
        "[Instruction]\nPlease act as an impartial judge and evaluate the quality of the response provided by an AI assistant to the user question displayed below. " +
        "Your evaluation should consider correctness and helpfulness. You will be given a reference answer and the assistant's answer. " +
        "Begin your evaluation by comparing the assistant's answer with the reference answer. Identify and correct any mistakes. Be as objective as possible. " +
        "After providing your explanation, you must rate the response on a scale of 1 to 10 by strictly following this format: \"[[rating]]\", for example: \"Rating: [[5]]\".\n\n" +
        "[Question]\n{question}\n\n[The Start of Reference Answer]\n{reference}\n[The End of Reference Answer]\n\n[The Start of Assistant's Answer]\n{answer}\n[The End of Assistant's Answer]";

    /// <summary>FastChat pair-v2 system prompt.</summary>
    public const string PairwiseSystem =
        "Please act as an impartial judge and evaluate the quality of the responses provided by two AI assistants to the user question displayed below. " +
        "You should choose the assistant that follows the user's instructions and answers the user's question better. Your evaluation should consider factors such as the helpfulness, relevance, accuracy, depth, creativity, and level of detail of their responses. " +
        "Begin your evaluation by comparing the two responses and provide a short explanation. Avoid any position biases and ensure that the order in which the responses were presented does not influence your decision. " +
        "Do not allow the length of the responses to influence your evaluation. Do not favor certain names of the assistants. Be as objective as possible. " +
        "After providing your explanation, output your final verdict by strictly following this format: \"[[A]]\" if assistant A is better, \"[[B]]\" if assistant B is better, and \"[[C]]\" for a tie.";

    /// <summary>FastChat pair-v2 user template.</summary>
    public const string Pairwise =
        "[User Question]\n{question}\n\n[The Start of Assistant A's Answer]\n{answer_a}\n[The End of Assistant A's Answer]\n\n[The Start of Assistant B's Answer]\n{answer_b}\n[The End of Assistant B's Answer]";

    /// <summary>Fills the known placeholders; unknown ones and other braces stay verbatim.</summary>
    public static string Render(string template, JudgeItem item, string? answerA = null, string? answerB = null) => template
        .Replace("{question}", item.Question)
        .Replace("{answer}", item.Answer)
        .Replace("{reference}", item.Reference ?? "")
        .Replace("{ref_answer_1}", item.Reference ?? "")
        .Replace("{answer_a}", answerA ?? item.Answer)
        .Replace("{answer_b}", answerB ?? item.AnswerB ?? "");
}
