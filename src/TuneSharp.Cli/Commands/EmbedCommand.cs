// `tunesharp embed`: sentence embeddings of each non-empty input line with a sentence-transformers folder, one JSON line each.
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TuneSharp.Evaluation;
using TuneSharp.Models.Encoders;

namespace TuneSharp.Cli.Commands;

[CliVerb(70)]
public static class EmbedCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "sentence-transformers folder (modules.json, 1_Pooling/config.json, config.json, model.safetensors, tokenizer.json)", Required = true };
        var input = new Option<string>("--input", "-i") { Description = "Text file (one text per non-empty line) or .jsonl (strings, or objects with \"text\")", Required = true };
        var json = new Option<bool>("--json") { Description = "Print {\"index\": n, \"embedding\": [...]} per non-empty input line (the only output format; accepted for scripts)" };
        var batch = new Option<int>("--batch-size") { Description = "Texts per forward pass", DefaultValueFactory = _ => 32 };
        var pooling = new Option<string?>("--pooling") { Description = "mean|cls: pooling for a folder without 1_Pooling/config.json" };
        var cmd = new Command("embed", "Sentence embeddings (BERT / XLM-RoBERTa / MPNet sentence-transformers models)");
        foreach (var o in new Option[] { model, input, json, batch, pooling }) cmd.Options.Add(o);
        cmd.SetAction(p => EvalCommand.Run(() =>
        {
            var encoder = SentenceEncoder.FromFolder(p.GetValue(model)!, p.GetValue(pooling) is { } pl ? EvalConfig.ParsePooling(pl) : null);
            var texts = ReadTexts(p.GetValue(input)!);
            var vectors = encoder.Encode(texts, Math.Max(1, p.GetValue(batch)));
            var stdout = Console.Out;
            var sb = new StringBuilder();
            for (int i = 0; i < vectors.Length; i++)
            {
                sb.Clear().Append("{\"index\":").Append(i.ToString(CultureInfo.InvariantCulture)).Append(",\"embedding\":[");
                for (int k = 0; k < vectors[i].Length; k++)
                {
                    if (k > 0) sb.Append(',');
                    sb.Append(vectors[i][k].ToString("R", CultureInfo.InvariantCulture));
                }
                stdout.WriteLine(sb.Append("]}").ToString());
            }
            return 0;
        }));
        return cmd;
    }

    private static List<string> ReadTexts(string path)
    {
        if (!File.Exists(path)) throw new EvaluationInputException($"{path}: input file not found");
        bool jsonl = path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase);
        var texts = new List<string>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            if (!jsonl) { texts.Add(line); continue; }
            JsonNode? node;
            try { node = JsonNode.Parse(line); }
            catch (JsonException e) { throw new EvaluationInputException($"{path}:{lineNo}: invalid JSON ({e.Message.Split('.')[0]})"); }
            texts.Add(node switch
            {
                JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                JsonObject o when o["text"] is JsonValue t && t.GetValueKind() == JsonValueKind.String => t.GetValue<string>(),
                _ => throw new EvaluationInputException($"{path}:{lineNo}: expected a JSON string or an object with a \"text\" string"),
            });
        }
        return texts;
    }
}
