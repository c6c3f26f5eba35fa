// Marks a class as a `tunesharp` verb; Order sorts verbs in --help.
namespace TuneSharp.Cli;

[AttributeUsage(AttributeTargets.Class)]
public sealed class CliVerbAttribute(int order = 100) : Attribute
{
    public int Order { get; } = order;
}
