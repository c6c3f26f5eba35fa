// Discovers benchmark modes: any static `int Run(string[] args)` on a class marked [BenchMode("name")].
using System.Reflection;

namespace TuneSharp.Bench;

public static class BenchModes
{
    public static readonly IReadOnlyDictionary<string, Func<string[], int>> All = Discover();

    private static Dictionary<string, Func<string[], int>> Discover()
    {
        var modes = new Dictionary<string, Func<string[], int>>(StringComparer.Ordinal);
        foreach (var type in typeof(BenchModes).Assembly.GetTypes())
        {
            var attribute = type.GetCustomAttribute<BenchModeAttribute>();
            if (attribute is null) continue;
            var method = type.GetMethod("Run", BindingFlags.Public | BindingFlags.Static, [typeof(string[])])
                ?? throw new InvalidOperationException($"{type.Name} is marked [BenchMode] but has no static int Run(string[])");
            modes.Add(attribute.Name, method.CreateDelegate<Func<string[], int>>());
        }
        return modes;
    }
}
