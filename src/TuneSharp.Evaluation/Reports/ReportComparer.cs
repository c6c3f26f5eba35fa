// `eval --compare A B`: metric-by-metric differences between two report.json files.
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace TuneSharp.Evaluation.Reports;

public static class ReportComparer
{
    public sealed record Row(string Model, string Metric, double? A, double? B)
    {
        public double? Delta => A is { } a && B is { } b ? b - a : null;
    }

    /// <summary>
    /// Pairs models by name; when each report holds exactly one model, those two are compared whatever their names.
    /// </summary>
    public static IReadOnlyList<Row> Compare(string reportA, string reportB)
    {
        var a = Load(reportA);
        var b = Load(reportB);
        var rows = new List<Row>();
        List<(string Label, JsonObject A, JsonObject B)> pairs;
        if (a.Count == 1 && b.Count == 1) pairs = [(a[0].Name == b[0].Name ? a[0].Name : $"{a[0].Name} → {b[0].Name}", a[0].Metrics, b[0].Metrics)];
        else pairs = a.Join(b, x => x.Name, y => y.Name, (x, y) => (x.Name, x.Metrics, y.Metrics)).ToList();
        if (pairs.Count == 0)
            throw new EvaluationInputException($"{reportA} and {reportB} share no model name ({string.Join(", ", a.Select(x => x.Name))} vs {string.Join(", ", b.Select(x => x.Name))}); compare reports of the same models");
        foreach (var (label, ma, mb) in pairs)
            foreach (var key in ma.Select(kv => kv.Key).Union(mb.Select(kv => kv.Key)).Where(k => k != "judge"))
                rows.Add(new Row(label, key, Number(ma[key]), Number(mb[key])));
        return rows;
    }

    public static string Format(IReadOnlyList<Row> rows, string reportA, string reportB)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine($"A = {reportA}").AppendLine($"B = {reportB}");
        int w = Math.Max(6, rows.Max(r => r.Model.Length)), mw = Math.Max(6, rows.Max(r => r.Metric.Length));
        sb.AppendLine($"{"model".PadRight(w)}  {"metric".PadRight(mw)}  {"A",10}  {"B",10}  {"B − A",10}");
        foreach (var r in rows)
            sb.AppendLine($"{r.Model.PadRight(w)}  {r.Metric.PadRight(mw)}  {Fmt(r.A),10}  {Fmt(r.B),10}  {(r.Delta is { } d ? d.ToString("+0.0000;-0.0000;0.0000", inv) : "–"),10}");
        return sb.ToString();

        string Fmt(double? v) => v is { } x ? x.ToString("0.0000", inv) : "–";
    }

    public static JsonArray ToJson(IReadOnlyList<Row> rows) =>
        new(rows.Select(r => (JsonNode)new JsonObject { ["model"] = r.Model, ["metric"] = r.Metric, ["a"] = r.A, ["b"] = r.B, ["delta"] = r.Delta }).ToArray());

    private static double? Number(JsonNode? n) => n is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;

    private static List<(string Name, JsonObject Metrics)> Load(string path)
    {
        if (!File.Exists(path)) throw new EvaluationInputException($"{path}: report not found (give report.json files written by `tunesharp eval --out DIR`)");
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)); }
        catch (System.Text.Json.JsonException e) { throw new EvaluationInputException($"{path}: not valid JSON ({e.Message.Split('.')[0]})"); }
        if (root?["models"] is not JsonArray models) throw new EvaluationInputException($"{path}: no \"models\" array; is this a report.json from `tunesharp eval`?");
        return models.OfType<JsonObject>().Select(m => (m["name"]?.GetValue<string>() ?? "?", m["metrics"] as JsonObject ?? [])).ToList();
    }
}
