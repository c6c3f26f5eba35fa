// PNG plots of a report with ScottPlot 5: metric bars per model, judge score histograms, SemScore distributions.
using ScottPlot;

namespace TuneSharp.Evaluation.Reports;

public static class ReportPlots
{
    private const int Width = 900, Height = 520;

    private static Color ModelColor(int i) => new ScottPlot.Palettes.Category10().GetColor(i);

    /// <summary>Grouped bars: one group per metric, one bar per model. BLEU/chrF (0–100) are drawn divided by 100.</summary>
    public static void MetricBars(EvaluationReport report, string path)
    {
        var names = report.Models.SelectMany(m => m.Metrics.Keys).Distinct().ToList();
        var plot = new Plot();
        var bars = new List<Bar>();
        int n = report.Models.Count;
        double width = 0.8 / n;
        for (int mi = 0; mi < n; mi++)
        {
            var model = report.Models[mi];
            for (int k = 0; k < names.Count; k++)
            {
                if (!model.Metrics.TryGetValue(names[k], out double v)) continue;
                double shown = Scale(names[k], v, model);
                bars.Add(new Bar
                {
                    Position = k - 0.4 + width * (mi + 0.5),
                    Value = shown,
                    FillColor = ModelColor(mi),
                    Size = width * 0.95,
                    Label = shown.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture),
                });
            }
        }
        var bp = plot.Add.Bars(bars);
        bp.ValueLabelStyle.FontSize = 11;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, names.Count).Select(i => (double)i).ToArray(), names.Select(Label).ToArray());
        plot.Axes.Margins(bottom: 0);
        plot.Axes.SetLimitsY(0, 1.12);
        plot.Title(n == 2 ? $"{report.Models[0].Name} vs {report.Models[1].Name}" : "Evaluation metrics");
        plot.YLabel("score (BLEU/chrF ÷ 100, judge ÷ scale max)");
        AddLegend(plot, report);
        Save(plot, path);
    }

    /// <summary>Judge scores: for each score 1..max, one bar per model with the number of items that got it.</summary>
    public static bool JudgeHistogram(EvaluationReport report, string path)
    {
        var judged = report.Models.Where(m => m.Judge is { Histogram.Count: > 0 }).ToList();
        if (judged.Count == 0) return false;
        var plot = new Plot();
        var bars = new List<Bar>();
        int n = report.Models.Count;
        double width = 0.8 / n;
        var scores = judged.SelectMany(m => m.Judge!.Histogram.Keys).Distinct().Order().ToList();
        for (int mi = 0; mi < n; mi++)
        {
            if (report.Models[mi].Judge is not { } j) continue;
            foreach (var (score, count) in j.Histogram.Where(kv => kv.Value > 0))
                bars.Add(new Bar { Position = score - 0.4 + width * (mi + 0.5), Value = count, FillColor = ModelColor(mi), Size = width * 0.95, Label = count.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }
        plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(scores.Select(s => (double)s).ToArray(), scores.Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        plot.Axes.Margins(bottom: 0, top: 0.15);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        var j0 = judged[0].Judge!;
        plot.Title($"Judge scores ({j0.Mode}); unparsable: {string.Join(", ", judged.Select(m => $"{m.Name} {m.Judge!.Unparsable}"))}");
        plot.XLabel("score");
        plot.YLabel("items");
        AddLegend(plot, report);
        Save(plot, path);
        return true;
    }

    /// <summary>SemScore distribution: per-row cosine histogram (bins of 0.05 over [min, 1]) with one bar series per model.</summary>
    public static bool SemScoreHistogram(EvaluationReport report, string path)
    {
        var values = report.Models.Select(m => m.Items.Select(it => it.GetValueOrDefault(MetricNames.SemScore)).Where(v => v is not null).Select(v => v!.Value).ToArray()).ToList();
        if (values.All(v => v.Length == 0)) return false;
        const double bin = 0.05;
        double lo = Math.Floor(Math.Min(0, values.Where(v => v.Length > 0).Min(v => v.Min())) / bin) * bin;
        int bins = (int)Math.Round((1.0 - lo) / bin);
        var plot = new Plot();
        var bars = new List<Bar>();
        int n = report.Models.Count;
        for (int mi = 0; mi < n; mi++)
        {
            var counts = new int[bins];
            foreach (var v in values[mi]) counts[Math.Clamp((int)((v - lo) / bin), 0, bins - 1)]++;
            for (int b = 0; b < bins; b++)
                if (counts[b] > 0)
                    bars.Add(new Bar { Position = lo + bin * b + bin * (mi + 0.5) / n, Value = counts[b], FillColor = ModelColor(mi), Size = bin / n * 0.95 });
            if (values[mi].Length > 0)
            {
                var line = plot.Add.VerticalLine(values[mi].Average(), 2, ModelColor(mi));
                line.LinePattern = LinePattern.Dashed;
            }
        }
        plot.Add.Bars(bars);
        plot.Axes.Margins(bottom: 0);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Title("SemScore distribution (cosine of prediction and reference; dashed = mean)");
        plot.XLabel("cosine similarity");
        plot.YLabel("items");
        AddLegend(plot, report);
        Save(plot, path);
        return true;
    }

    private static double Scale(string metric, double v, ModelEvaluation model) => metric switch
    {
        MetricNames.Bleu or MetricNames.ChrF or MetricNames.ChrFPlusPlus => v / 100,
        MetricNames.JudgeMean => model.Judge is { Mode: "mtbench" } ? v / 10 : v / 5,
        _ => v,
    };

    private static string Label(string metric) => metric switch
    {
        MetricNames.Bleu or MetricNames.ChrF or MetricNames.ChrFPlusPlus => metric + "/100",
        MetricNames.JudgeMean => "judge/max",
        _ => metric,
    };

    private static void AddLegend(Plot plot, EvaluationReport report)
    {
        for (int i = 0; i < report.Models.Count; i++)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = report.Models[i].Name, FillColor = ModelColor(i) });
        plot.Legend.IsVisible = true;
        plot.Legend.Alignment = Alignment.UpperLeft;
    }

    private static void Save(Plot plot, string path)
    {
        // ScottPlot writes in place; render to a temp name and rename so a reader never sees half a PNG.
        var tmp = path + ".tmp.png";
        plot.SavePng(tmp, Width, Height);
        File.Move(tmp, path, overwrite: true);
    }
}
