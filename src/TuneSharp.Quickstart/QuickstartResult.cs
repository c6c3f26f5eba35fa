// What a quickstart run produced: headline losses, folders and timings (the --json line is this object).
using System.Text.Json.Nodes;

namespace TuneSharp.Quickstart;

public sealed record QuickstartResult(
    string OutputDir, string ModelDir, string AdapterDir, double? PretrainFirstLoss, double? PretrainFinalLoss,
    double BaseEvalLoss, double TunedEvalLoss, IReadOnlyList<(string Question, string Answer)> Samples,
    IReadOnlyDictionary<string, double> Seconds)
{
    /// <summary>The base-vs-tuned evaluation on the held-out questions (accuracy, ROUGE-L, SemScore when an encoder was given).</summary>
    public Evaluation.EvaluationReport? Evaluation { get; init; }

    /// <summary>Where the evaluation's report.json, report.md, items.csv and plots are.</summary>
    public string? EvalDir { get; init; }

    public JsonObject ToJson() => new()
    {
        ["base_eval_loss"] = BaseEvalLoss,
        ["tuned_eval_loss"] = TunedEvalLoss,
        ["output_dir"] = OutputDir,
        ["model_dir"] = ModelDir,
        ["adapter_dir"] = AdapterDir,
        ["pretrain_first_loss"] = PretrainFirstLoss,
        ["pretrain_final_loss"] = PretrainFinalLoss,
        ["samples"] = new JsonArray(Samples.Select(s => (JsonNode)new JsonObject { ["question"] = s.Question, ["answer"] = s.Answer }).ToArray()),
        ["eval"] = Evaluation is null ? null : new JsonObject(Evaluation.Models.Select(m => KeyValuePair.Create(m.Name,
            (JsonNode?)new JsonObject(m.Metrics.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Math.Round(kv.Value, 4))))))),
        ["eval_dir"] = EvalDir,
        ["seconds"] = new JsonObject(Seconds.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Math.Round(kv.Value, 2)))),
    };
}
