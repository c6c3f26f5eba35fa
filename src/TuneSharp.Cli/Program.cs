// `tunesharp` entry point: System.CommandLine verbs only; every verb calls into the libraries, and every failure ends in CliErrorHandler.
using System.CommandLine;

namespace TuneSharp.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("TuneSharp: domain-adaptive fine-tuning of open LLMs in .NET");
        foreach (var command in CliCommands.All()) root.Subcommands.Add(command);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not System.CommandLine.Help.HelpAction)
        {
            foreach (var error in parse.Errors) Console.Error.WriteLine("error: " + error.Message);
            Console.Error.WriteLine($"(tunesharp {parse.CommandResult.Command.Name} --help lists the options)");
            return (int)ExitCode.Usage;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return CliErrorHandler.Report(e, Console.Error);
        }
    }
}
