// Token-length histogram as a PNG (ScottPlot), with the max_seq_length limit and the p50/p95 marked.
using System.Globalization;
using ScottPlot;
using TuneSharp.Tensors.IO;

namespace TuneSharp.Data.Statistics;

public static class LengthHistogram
{
    /// <summary>Writes the histogram of <see cref="DatasetStatistics.TokenLengths"/> to <paramref name="path"/> (PNG, atomically).</summary>
    public static void Save(DatasetStatistics stats, string path, string title, int width = 900, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(stats);
        if (stats.TokenLengths.Length == 0) throw new DataFormatException("no rows to plot", path);
        var values = stats.TokenLengths.Select(v => (double)v).ToArray();
        double max = Math.Max(values.Max(), stats.MaxSeqLength);
        int bins = Math.Clamp((int)Math.Ceiling(Math.Sqrt(values.Length)), 10, 60);
        var hist = ScottPlot.Statistics.Histogram.WithBinCount(bins, 0, max + 1);
        hist.AddRange(values);
        var plot = new Plot();
        var bars = plot.Add.Bars(hist.Bins.Select(b => b + hist.FirstBinSize / 2).ToArray(), hist.Counts);
        foreach (var bar in bars.Bars)
        {
            bar.Size = hist.FirstBinSize * 0.95;
            bar.FillColor = Colors.SteelBlue;
            bar.LineWidth = 0;
        }
        var c = CultureInfo.InvariantCulture;
        void Line(double x, Color color, string label, LinePattern pattern)
        {
            var l = plot.Add.VerticalLine(x);
            l.Color = color;
            l.LineWidth = 2;
            l.LinePattern = pattern;
            l.LegendText = label;
        }
        Line(stats.Percentile(50), Colors.DarkGreen, string.Create(c, $"p50 = {stats.Percentile(50):0}"), LinePattern.Dotted);
        Line(stats.Percentile(95), Colors.DarkOrange, string.Create(c, $"p95 = {stats.Percentile(95):0}"), LinePattern.Dotted);
        if (stats.MaxSeqLength > 0)
            Line(stats.MaxSeqLength, Colors.Red, string.Create(c, $"max_seq_length = {stats.MaxSeqLength} ({stats.TruncatedRows} rows truncated)"), LinePattern.Dashed);
        plot.Axes.Margins(bottom: 0);
        plot.Axes.SetLimitsX(0, max * 1.02 + 1);
        plot.Title(title);
        plot.XLabel("tokens per row");
        plot.YLabel("rows");
        plot.ShowLegend(Alignment.UpperRight);
        var png = plot.GetImageBytes(width, height, ImageFormat.Png);
        AtomicFile.Write(path, fs => fs.Write(png));
    }
}
