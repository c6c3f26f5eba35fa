// `tunesharp` entry point: System.CommandLine verbs only; every verb calls into the libraries.
using System.CommandLine;

namespace TuneSharp.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("TuneSharp: domain-adaptive fine-tuning of open LLMs in .NET");
        foreach (var command in CliCommands.All()) root.Subcommands.Add(command);
        return root.Parse(args).Invoke();
    }
}
