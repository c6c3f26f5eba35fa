// Reads prediction rows from JSONL: {"prediction": str, "reference": str | [str], "references": [str], "question"|"prompt": str, "id": any}.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TuneSharp.Evaluation;

public static class PredictionReader
{
    public static IReadOnlyList<PredictionRow> ReadJsonl(string path)
    {
        if (!File.Exists(path)) throw new EvaluationInputException($"{path}: predictions file not found");
        var rows = new List<PredictionRow>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonNode? node;
            try { node = JsonNode.Parse(line); }
            catch (JsonException e) { throw new EvaluationInputException($"{path}:{lineNo}: invalid JSON ({e.Message.Split('.')[0]}); each line must be one JSON object"); }
            if (node is not JsonObject o) throw new EvaluationInputException($"{path}:{lineNo}: expected a JSON object with \"prediction\" and \"reference\"");
            string prediction = Text(o, "prediction", path, lineNo)
                ?? throw new EvaluationInputException($"{path}:{lineNo}: no \"prediction\" field; each row needs \"prediction\" (the model's answer) and \"reference\"");
            var refs = new List<string>();
            foreach (var key in new[] { "reference", "references" })
            {
                switch (o[key])
                {
                    case null: break;
                    case JsonArray a: refs.AddRange(a.Select((x, i) => x?.GetValueKind() == JsonValueKind.String ? x.GetValue<string>() : throw new EvaluationInputException($"{path}:{lineNo}: \"{key}\"[{i}] is not a string"))); break;
                    case JsonValue v when v.GetValueKind() == JsonValueKind.String: refs.Add(v.GetValue<string>()); break;
                    default: throw new EvaluationInputException($"{path}:{lineNo}: \"{key}\" must be a string or a list of strings");
                }
            }
            string? question = Text(o, "question", path, lineNo) ?? Text(o, "prompt", path, lineNo) ?? Text(o, "instruction", path, lineNo);
            rows.Add(new PredictionRow(rows.Count, prediction, refs, question, o["id"]?.ToJsonString().Trim('"')));
        }
        return rows;
    }

    private static string? Text(JsonObject o, string key, string path, int line) => o[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw new EvaluationInputException($"{path}:{line}: \"{key}\" must be a string"),
    };
}
