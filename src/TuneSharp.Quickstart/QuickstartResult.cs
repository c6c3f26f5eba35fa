// What a quickstart run produced: headline losses, folders and timings (the --json line is this object).
using System.Text.Json.Nodes;

namespace TuneSharp.Quickstart;

public sealed record QuickstartResult(
    string OutputDir, string ModelDir, string AdapterDir, double? PretrainFirstLoss, double? PretrainFinalLoss,
    double BaseEvalLoss, double TunedEvalLoss, IReadOnlyList<(string Question, string Answer)> Samples,
    IReadOnlyDictionary<string, double> Seconds)
{
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
        ["seconds"] = new JsonObject(Seconds.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Math.Round(kv.Value, 2)))),
    };
}
