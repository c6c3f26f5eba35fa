// How this `tunesharp` process can start itself again (pipeline steps), its version for cache keys, and its verbs.
using System.Reflection;

namespace TuneSharp.Cli.Commands;

internal static class ToolInfo
{
    /// <summary>["…/tunesharp"] for the app host, ["dotnet", "…/tunesharp.dll"] when run through the dotnet host.</summary>
    public static IReadOnlyList<string> SelfCommand()
    {
        string process = Environment.ProcessPath ?? "dotnet";
        string dll = typeof(ToolInfo).Assembly.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? [process, dll] : [process];
    }

    /// <summary>Version + module id: a rebuilt tool (new MVID) invalidates every pipeline cache entry.</summary>
    public static string Version()
    {
        var a = typeof(ToolInfo).Assembly;
        var info = a.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? a.GetName().Version?.ToString() ?? "0";
        return $"{info}+{a.ManifestModule.ModuleVersionId:N}";
    }

    public static IReadOnlySet<string> Verbs() => CliCommands.All().Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
}
