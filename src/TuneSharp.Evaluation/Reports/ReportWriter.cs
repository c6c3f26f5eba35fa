// Writes an EvaluationReport as report.json, report.md, items.csv and PNG plots (all atomically) into one folder.
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TuneSharp.Evaluation.Judge;
using TuneSharp.Tensors.IO;

namespace TuneSharp.Evaluation.Reports;

public static class ReportWriter
{
    public const string JsonName = "report.json", MarkdownName = "report.md", ItemsName = "items.csv";
    public const string MetricsPlot = "metrics.png", JudgePlot = "judge_scores.png", SemScorePlot = "semscore.png";

    /// <summary>Writes every file; returns the paths written.</summary>
    public static IReadOnlyList<string> Write(EvaluationReport report, string folder)
    {
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        string P(string name) { var p = Path.Combine(folder, name); written.Add(p); return p; }
        AtomicFile.WriteAllText(P(JsonName), ToJson(report).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        AtomicFile.WriteAllText(P(ItemsName), ItemsCsv(report));
        var plots = new List<string>();
        ReportPlots.MetricBars(report, P(MetricsPlot));
        plots.Add(MetricsPlot);
        if (ReportPlots.JudgeHistogram(report, Path.Combine(folder, JudgePlot))) { written.Add(Path.Combine(folder, JudgePlot)); plots.Add(JudgePlot); }
        if (ReportPlots.SemScoreHistogram(report, Path.Combine(folder, SemScorePlot))) { written.Add(Path.Combine(folder, SemScorePlot)); plots.Add(SemScorePlot); }
        AtomicFile.WriteAllText(P(MarkdownName), Markdown(report, plots));
        return written;
    }

    /// <summary>The flat metrics object of `eval --json`: metric name → corpus value, plus "judge" details when judged.</summary>
    public static JsonObject MetricsJson(ModelEvaluation m)
    {
        var o = new JsonObject();
        foreach (var (k, v) in m.Metrics) o[k] = Round(v);
        if (m.Judge is { } j) o["judge"] = JudgeJson(j);
        return o;
    }

    public static JsonObject ToJson(EvaluationReport report)
    {
        var models = new JsonArray();
        foreach (var m in report.Models)
            models.Add(new JsonObject
            {
                ["name"] = m.Name,
                ["predictions"] = m.Source,
                ["rows"] = m.Rows.Count,
                ["metrics"] = MetricsJson(m),
            });
        var root = new JsonObject
        {
            ["created"] = report.Created.ToString("o", CultureInfo.InvariantCulture),
            ["metric_names"] = new JsonArray(report.MetricNames.Select(n => (JsonNode)n).ToArray()),
            ["models"] = models,
        };
        if (report.Pairwise is { } p) root["pairwise"] = JudgeJson(p);
        return root;
    }

    private static JsonObject JudgeJson(JudgeSummary j)
    {
        var o = new JsonObject
        {
            ["mode"] = j.Mode,
            ["mean"] = j.Mean is { } m ? Round(m) : null,
            ["items"] = j.Items,
            ["scored"] = j.Scored,
            ["unparsable"] = j.Unparsable,
            ["failed"] = j.Failed,
            ["cache_hits"] = j.CacheHits,
            ["prompt_tokens"] = j.PromptTokens,
            ["completion_tokens"] = j.CompletionTokens,
        };
        if (j.Histogram.Count > 0) o["histogram"] = new JsonObject(j.Histogram.Select(kv => KeyValuePair.Create(kv.Key.ToString(CultureInfo.InvariantCulture), (JsonNode?)kv.Value)));
        if (j.Wins.Count > 0) o["wins"] = new JsonObject(j.Wins.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        return o;
    }

    private static double Round(double v) => Math.Round(v, 6);

    public static string ItemsCsv(EvaluationReport report)
    {
        var metrics = report.Models.SelectMany(m => m.Items.SelectMany(i => i.Keys)).Distinct().ToList();
        var sb = new StringBuilder();
        var header = new List<string> { "model", "index", "id", "question", "prediction", "reference" };
        header.AddRange(metrics);
        bool replies = report.Models.Any(m => m.JudgeReplies is not null);
        if (replies) header.Add("judge_reply");
        sb.AppendLine(string.Join(',', header.Select(Csv)));
        foreach (var m in report.Models)
            for (int i = 0; i < m.Rows.Count; i++)
            {
                var r = m.Rows[i];
                var cells = new List<string> { m.Name, r.Index.ToString(CultureInfo.InvariantCulture), r.Id ?? "", r.Question ?? "", r.Prediction, string.Join(" ||| ", r.References) };
                cells.AddRange(metrics.Select(k => m.Items[i].GetValueOrDefault(k) is { } v ? v.ToString("0.######", CultureInfo.InvariantCulture) : ""));
                if (replies) cells.Add(m.JudgeReplies?[i] ?? "");
                sb.AppendLine(string.Join(',', cells.Select(Csv)));
            }
        return sb.ToString();
    }

    /// <summary>RFC 4180 field: quoted when it holds a comma, quote or line break; quotes doubled.</summary>
    private static string Csv(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    public static string Markdown(EvaluationReport report, IReadOnlyList<string> plots)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine("# Evaluation report").AppendLine();
        sb.AppendLine($"Created {report.Created.ToString("yyyy-MM-dd HH:mm 'UTC'", inv)}. " +
            $"{string.Join(", ", report.Models.Select(m => $"**{m.Name}**: {m.Rows.Count} rows{(m.Source is null ? "" : $" from `{m.Source}`")}"))}.").AppendLine();
        var names = report.Models.SelectMany(m => m.Metrics.Keys).Distinct().ToList();
        bool delta = report.Models.Count == 2;
        sb.Append("| metric |");
        foreach (var m in report.Models) sb.Append($" {m.Name} |");
        if (delta) sb.Append(" Δ |");
        sb.AppendLine();
        sb.Append("| --- |");
        foreach (var _ in report.Models) sb.Append(" ---: |");
        if (delta) sb.Append(" ---: |");
        sb.AppendLine();
        foreach (var k in names)
        {
            sb.Append($"| {k} |");
            foreach (var m in report.Models) sb.Append(m.Metrics.TryGetValue(k, out var v) ? $" {v.ToString("0.0000", inv)} |" : " – |");
            if (delta)
                sb.Append(report.Models[0].Metrics.TryGetValue(k, out var a) && report.Models[1].Metrics.TryGetValue(k, out var b) ? $" {(b - a).ToString("+0.0000;-0.0000;0.0000", inv)} |" : " – |");
            sb.AppendLine();
        }
        sb.AppendLine().AppendLine("BLEU, chrF and chrF++ are sacrebleu corpus scores (0–100, default settings); the other metrics are means over rows of values in [0, 1]; judge_mean is on the judge's scale.");
        foreach (var m in report.Models.Where(m => m.Judge is not null))
        {
            var j = m.Judge!;
            sb.AppendLine().AppendLine($"**Judge ({m.Name}, {j.Mode})**: mean {(j.Mean is { } mean ? mean.ToString("0.000", inv) : "–")} over {j.Scored} scored of {j.Items}; " +
                $"{j.Unparsable} unparsable, {j.Failed} failed, {j.CacheHits} from cache; tokens {j.PromptTokens} in / {j.CompletionTokens} out. " +
                $"Histogram: {string.Join(", ", j.Histogram.Select(kv => $"{kv.Key}: {kv.Value}"))}.");
        }
        if (report.Pairwise is { } p && report.Models.Count >= 2)
            sb.AppendLine().AppendLine($"**Pairwise judge** ({report.Models[0].Name} = A, {report.Models[1].Name} = B, both orders): " +
                $"{report.Models[0].Name} wins {p.Wins.GetValueOrDefault("model_a")}, {report.Models[1].Name} wins {p.Wins.GetValueOrDefault("model_b")}, ties/inconsistent {p.Wins.GetValueOrDefault("tie")}, " +
                $"unparsable {p.Unparsable}, failed {p.Failed}.");
        sb.AppendLine();
        foreach (var plot in plots) sb.AppendLine($"![{Path.GetFileNameWithoutExtension(plot)}]({plot})").AppendLine();
        sb.AppendLine($"Per-row values: [{ItemsName}]({ItemsName}).");
        return sb.ToString();
    }
}
