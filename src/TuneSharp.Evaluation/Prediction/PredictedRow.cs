// One generated answer with its input row's index, id, question and references, as written to preds.jsonl.
using System.Text.Json.Nodes;
using TuneSharp.Inference;

namespace TuneSharp.Evaluation.Prediction;

public sealed record PredictedRow(PredictionPrompt Prompt, string Prediction, FinishReason FinishReason, int CompletionTokens)
{
    /// <summary>The row as the evaluation side reads it (<see cref="PredictionRow"/>).</summary>
    public PredictionRow ToPredictionRow() => new(Prompt.Index, Prediction, Prompt.References, Prompt.Question, Prompt.Id);

    /// <summary>One preds.jsonl line: index, id, question, prediction, reference(s), finish_reason and token counts.</summary>
    public string ToJsonLine()
    {
        var o = new JsonObject { ["index"] = Prompt.Index };
        if (Prompt.Id is not null) o["id"] = Prompt.Id;
        if (Prompt.Question is not null) o["question"] = Prompt.Question;
        o["prediction"] = Prediction;
        if (Prompt.References.Count == 1) o["reference"] = Prompt.References[0];
        else if (Prompt.References.Count > 1) o["references"] = new JsonArray([.. Prompt.References.Select(r => (JsonNode?)r)]);
        o["finish_reason"] = FinishReasonName(FinishReason);
        o["prompt_tokens"] = Prompt.PromptIds.Length;
        o["completion_tokens"] = CompletionTokens;
        return o.ToJsonString(Json);
    }

    /// <summary>OpenAI's names: stop (eos or a stop string) or length.</summary>
    public static string FinishReasonName(FinishReason r) => r switch
    {
        FinishReason.Stop => "stop",
        FinishReason.StopString => "stop",
        _ => "length",
    };

    private static readonly System.Text.Json.JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
