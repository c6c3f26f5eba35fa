// `tunesharp config keys`: the table of every run-config key (type, default, effect), generated from the option classes.
using System.CommandLine;
using TuneSharp.Tensors.IO;
using TuneSharp.Training.Config;

namespace TuneSharp.Cli.Commands;

[CliVerb(90)]
public static class ConfigCommand
{
    public static Command Create()
    {
        var output = new Option<string?>("--output", "-o") { Description = "Write the Markdown table to this file (docs/config-keys.md) instead of stdout" };
        var keys = new Command("keys", "Print every run-config key with its type, default and effect (Markdown)");
        keys.Options.Add(output);
        keys.SetAction(p =>
        {
            var text = ConfigKeys.Markdown();
            if (p.GetValue(output) is { } path) AtomicFile.WriteAllText(path, text);
            else Console.Out.Write(text);
            return 0;
        });
        var command = new Command("config", "Run-config tools");
        command.Subcommands.Add(keys);
        return command;
    }
}
