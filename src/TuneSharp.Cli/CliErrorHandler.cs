// The CLI's one error handler: every failure of every verb becomes one paragraph on stderr and a documented exit code.
using System.Text.Json;

namespace TuneSharp.Cli;

/// <summary>
/// Maps an exception to its <see cref="ExitCode"/> (TuneSharpException carries its own; a few BCL types that user
/// input can still cause map by kind) and prints "error: message" without a stack trace. Anything else is a bug:
/// it is named by type so it can be reported (set TUNESHARP_TRACE=1 to print the trace).
/// </summary>
public static class CliErrorHandler
{
    public static ExitCode Classify(Exception e) => e switch
    {
        TuneSharpException t => t.ExitCode,
        OperationCanceledException => ExitCode.Interrupted,
        FileNotFoundException or DirectoryNotFoundException or JsonException => ExitCode.InputFormat,
        UnauthorizedAccessException or IOException => ExitCode.Output,
        HttpRequestException => ExitCode.External,
        _ => ExitCode.InternalError,
    };

    /// <summary>Writes the one-paragraph message to <paramref name="stderr"/> and returns the process exit code.</summary>
    public static int Report(Exception e, TextWriter stderr)
    {
        if (e is AggregateException { InnerExceptions.Count: 1 } agg) e = agg.InnerException!;
        var code = Classify(e);
        string message = e.Message.ReplaceLineEndings(" ").Trim();
        string text = code switch
        {
            ExitCode.Interrupted => "interrupted",
            ExitCode.InternalError => $"internal error ({e.GetType().Name}): {message}. This is a bug in TuneSharp; please report it with the command line.",
            _ => message,
        };
        stderr.WriteLine("error: " + text);
        if (Environment.GetEnvironmentVariable("TUNESHARP_TRACE") == "1") stderr.WriteLine(e.ToString());
        return (int)code;
    }
}
