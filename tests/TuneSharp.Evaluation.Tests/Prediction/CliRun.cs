// Runs the tunesharp CLI in-process with captured stdout/stderr (tests in the "Console" collection only).
namespace TuneSharp.Evaluation.Tests.Prediction;

internal static class CliRun
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        try { return (TuneSharp.Cli.Program.Main(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }
}
