// Shared plumbing of the data/info/chat/quickstart verbs: one-paragraph error messages (no stack traces) and exit codes.
using System.Text.Json;

namespace TuneSharp.Cli.Commands;

internal static class DataCommandSupport
{
    /// <summary>Runs a verb body; any failure becomes "error: …" on stderr (one paragraph) and exit code 1.</summary>
    public static int Guard(Func<int> body)
    {
        try { return body(); }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("interrupted");
            return 130;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine("error: " + Describe(ex));
            return 1;
        }
    }

    /// <summary>The message as one paragraph; unexpected exception types are named so a bug is recognisable without a trace.</summary>
    public static string Describe(Exception ex)
    {
        string message = ex.Message.ReplaceLineEndings(" ").Trim();
        bool known = ex is IOException or UnauthorizedAccessException or InvalidDataException or JsonException or ArgumentException
            || ex.GetType().Name.EndsWith("FormatException", StringComparison.Ordinal) || ex.GetType().Name.EndsWith("ConfigException", StringComparison.Ordinal)
            || ex.GetType().Namespace?.StartsWith("TuneSharp", StringComparison.Ordinal) == true;
        return known ? message : $"{message} ({ex.GetType().Name})";
    }
}
