// Console progress for training: one updating line on a terminal, plain log lines when stdout is redirected.
using System.Globalization;

namespace TuneSharp.Training.Tracking;

public sealed class ConsoleProgress
{
    private readonly TextWriter _out;
    private readonly bool _terminal;
    private bool _lineOpen;

    /// <summary><paramref name="output"/> defaults to Console.Out; a terminal is assumed only for an unredirected Console.Out.</summary>
    public ConsoleProgress(TextWriter? output = null)
    {
        _out = output ?? Console.Out;
        _terminal = output == null && !Console.IsOutputRedirected;
    }

    /// <summary>Every step: on a terminal, rewrites the progress line; otherwise prints nothing (see <see cref="Line"/>).</summary>
    public void Step(int step, int total, double loss, double lr, double tokensPerS, TimeSpan eta)
    {
        if (!_terminal) return;
        _out.Write("\r" + Format(step, total, loss, lr, tokensPerS, eta) + "   ");
        _lineOpen = true;
    }

    /// <summary>A logged step (or eval/info line): always a full line.</summary>
    public void Line(string text)
    {
        if (_lineOpen) { _out.WriteLine(); _lineOpen = false; }
        _out.WriteLine(text);
        _out.Flush();
    }

    public static string Format(int step, int total, double loss, double lr, double tokensPerS, TimeSpan eta) =>
        string.Create(CultureInfo.InvariantCulture,
            $"step {step}/{total} ({100.0 * step / Math.Max(1, total):F0}%) | loss {loss:F4} | lr {lr:E3} | {tokensPerS:F0} tok/s | ETA {FormatSpan(eta)}");

    public static string FormatSpan(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}" : $"{t.Minutes:D2}:{t.Seconds:D2}";
}
