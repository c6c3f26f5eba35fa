// Runs `tunesharp` in-process with captured stdout/stderr, and makes temp folders for CLI tests.
namespace TuneSharp.Cli.Tests;

internal static class CliRunner
{
    /// <summary>Program.Main(args) with Console.Out/Error captured; tests using it sit in the "cli" collection (Console is global).</summary>
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (o, e) = (Console.Out, Console.Error);
        var so = new StringWriter();
        var se = new StringWriter();
        Console.SetOut(so);
        Console.SetError(se);
        try { return (global::TuneSharp.Cli.Program.Main(args), so.ToString(), se.ToString()); }
        finally
        {
            Console.SetOut(o);
            Console.SetError(e);
        }
    }

    public static string TempDir(string tag) => Directory.CreateTempSubdirectory($"tunesharp-{tag}-").FullName;
}
