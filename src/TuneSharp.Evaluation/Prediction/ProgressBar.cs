// A progress bar with rate and ETA for prediction runs: one rewritten line on a terminal, a line every few seconds otherwise.
using System.Globalization;

namespace TuneSharp.Evaluation.Prediction;

public sealed class ProgressBar(TextWriter output, bool terminal, string label = "predict") : IProgress<PredictProgress>
{
    private TimeSpan? _lastLine;

    /// <summary>A bar on stderr; rewritten in place only when stderr is a terminal.</summary>
    public static ProgressBar ForStderr(string label = "predict") => new(Console.Error, !Console.IsErrorRedirected, label);

    public void Report(PredictProgress p)
    {
        bool last = p.Done == p.Total;
        if (terminal)
        {
            output.Write("\r" + Format(p, label) + "   ");
            if (last) output.WriteLine();
        }
        else if (last || _lastLine is not { } prev || p.Elapsed - prev >= TimeSpan.FromSeconds(10))
        {
            _lastLine = p.Elapsed;
            output.WriteLine(Format(p, label));
        }
        output.Flush();
    }

    public static string Format(PredictProgress p, string label = "predict")
    {
        const int width = 24;
        int filled = p.Total == 0 ? width : (int)((long)width * p.Done / p.Total);
        string bar = new string('#', filled) + new string('.', width - filled);
        string eta = p.Eta is { } e ? FormatSpan(e) : "--:--";
        string skipped = p.Skipped > 0 ? $" (+{p.Skipped} resumed)" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{label} [{bar}] {p.Done}/{p.Total}{skipped} | {p.TokensPerSecond:F1} tok/s | {FormatSpan(p.Elapsed)} elapsed | ETA {eta}");
    }

    private static string FormatSpan(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}" : $"{t.Minutes:D2}:{t.Seconds:D2}";
}
