// Marks a class as a benchmark mode selectable by name on the command line.
namespace TuneSharp.Bench;

[AttributeUsage(AttributeTargets.Class)]
public sealed class BenchModeAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}
