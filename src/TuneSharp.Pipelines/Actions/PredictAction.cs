// The `predict` step: batched generation over a dataset with a model (+ adapter) → predictions.jsonl (question, prediction, reference).
using System.Text.Json.Nodes;
using TuneSharp.Data.Formatting;
using TuneSharp.Data.Loading;
using TuneSharp.Inference;
using TuneSharp.Tensors.IO;

namespace TuneSharp.Pipelines.Actions;

public static class PredictAction
{
    public static int Run(PredictOptions o, string outDir, Action<string>? progress = null)
    {
        var ds = DatasetFiles.Load(o.Input);
        if (o.MaxRows > 0 && ds.Count > o.MaxRows) ds = ds.Take(o.MaxRows);
        var generator = Generator.FromPretrained(o.Model);
        var options = o.Generation;
        if (o.Adapter != null)
        {
            generator.LoadAdapter(o.Adapter, "predict");
            options = options with { Adapter = "predict" };
        }
        var template = o.Prompt == "alpaca" ? null : new FieldTemplate(o.Prompt, "predict.prompt");
        var withInput = new FieldTemplate(AlpacaPrompts.WithInput, "alpaca");
        var noInput = new FieldTemplate(AlpacaPrompts.NoInput, "alpaca");
        var prompts = new List<string>();
        for (int i = 0; i < ds.Count; i++)
        {
            var row = ds[i];
            string where = TuneSharp.Data.RowLocation.Of(ds.FileOf(i) ?? o.Input, ds.RowInFile(i));
            prompts.Add(template != null ? template.Fill(row, where)
                : row.TryGetPropertyValue("input", out var inp) && inp is JsonValue v && v.ToString().Length > 0 ? withInput.Fill(row, where) : noInput.Fill(row, where));
        }
        var lines = new List<string>();
        for (int start = 0; start < prompts.Count; start += Math.Max(1, o.BatchSize))
        {
            var batch = prompts.Skip(start).Take(Math.Max(1, o.BatchSize)).ToList();
            var results = generator.GenerateBatch(batch, options);
            for (int k = 0; k < batch.Count; k++)
            {
                var row = ds[start + k];
                var obj = new JsonObject { ["question"] = batch[k], ["prediction"] = results[k].Text };
                if (row.TryGetPropertyValue(o.Reference, out var r) && r != null) obj["reference"] = r is JsonValue rv && rv.TryGetValue(out string? s) ? s : r.ToJsonString();
                lines.Add(obj.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            }
            progress?.Invoke($"{Math.Min(start + batch.Count, prompts.Count)}/{prompts.Count} rows");
        }
        Directory.CreateDirectory(outDir);
        AtomicFile.WriteLines(Path.Combine(outDir, "predictions.jsonl"), lines);
        return lines.Count;
    }
}
