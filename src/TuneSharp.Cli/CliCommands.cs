// Discovers CLI verbs: each verb is a class in Commands/ with a static `Command Create()` marked [CliVerb].
using System.CommandLine;
using System.Reflection;

namespace TuneSharp.Cli;

public static class CliCommands
{
    public static IEnumerable<Command> All()
    {
        var verbs = new List<(int Order, Command Command)>();
        foreach (var type in typeof(CliCommands).Assembly.GetTypes())
        {
            var attribute = type.GetCustomAttribute<CliVerbAttribute>();
            if (attribute is null) continue;
            var create = type.GetMethod("Create", BindingFlags.Public | BindingFlags.Static, Type.EmptyTypes)
                ?? throw new InvalidOperationException($"{type.Name} is marked [CliVerb] but has no static Command Create()");
            verbs.Add((attribute.Order, (Command)create.Invoke(null, null)!));
        }
        return verbs.OrderBy(v => v.Order).ThenBy(v => v.Command.Name, StringComparer.Ordinal).Select(v => v.Command);
    }
}
