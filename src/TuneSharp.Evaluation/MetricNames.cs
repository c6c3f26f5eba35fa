// The metric names of `tunesharp eval --metrics` and report.json, and which of them are corpus-level or need references.
namespace TuneSharp.Evaluation;

public static class MetricNames
{
    public const string ExactMatch = "exact_match", Accuracy = "accuracy", F1 = "f1", Rouge1 = "rouge1", Rouge2 = "rouge2",
        RougeL = "rougeL", Bleu = "bleu", ChrF = "chrf", ChrFPlusPlus = "chrf++", SemScore = "semscore", Judge = "judge", JudgeMean = "judge_mean";

    public static IReadOnlyList<string> All { get; } = [ExactMatch, Accuracy, F1, Rouge1, Rouge2, RougeL, Bleu, ChrF, ChrFPlusPlus, SemScore, Judge];

    /// <summary>sacrebleu's corpus statistics (summed before scoring), 0–100; the others are means of per-row values in [0, 1] (judge: its scale).</summary>
    public static bool IsCorpusLevel(string name) => name is Bleu or ChrF or ChrFPlusPlus;

    /// <summary>Parses "a,b,c" (case-sensitive names as listed; "rougel" and "chrfpp" accepted as aliases).</summary>
    public static IReadOnlyList<string> Parse(string list)
    {
        var result = new List<string>();
        foreach (var raw in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var name = raw switch { "rougel" or "rouge_l" or "rouge-l" => RougeL, "chrfpp" or "chrf_plus_plus" => ChrFPlusPlus, "em" => ExactMatch, _ => raw };
            if (!All.Contains(name))
                throw new EvaluationInputException($"unknown metric \"{raw}\"; choose from {string.Join(", ", All)}", ExitCode.Usage);
            if (!result.Contains(name)) result.Add(name);
        }
        if (result.Count == 0) throw new EvaluationInputException("no metrics given; e.g. --metrics accuracy,rougeL,semscore", ExitCode.Usage);
        return result;
    }
}
