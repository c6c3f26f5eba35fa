// Loads YAML into a mapping tree and applies dotted key=value overrides to it.
using System.Runtime.CompilerServices;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace TuneSharp.Training.Config;

internal static class YamlTree
{
    // Nodes an override created (its keys, sections and value) → the override's text, so errors about them name the
    // override instead of "base.yaml: line 1" (the line of the override's own one-line YAML document).
    private static readonly ConditionalWeakTable<YamlNode, string> OverrideNodes = new();

    /// <summary>Where a node came from, for messages: "file: line N", or "command-line override 'key=value'".</summary>
    public static string Where(string source, YamlNode node) =>
        OverrideNodes.TryGetValue(node, out var assignment)
            ? $"command-line override '{(assignment.Length > 80 ? assignment[..77] + "…" : assignment)}'"
           : $"{source}: line {node.Start.Line}";

    public static YamlMappingNode Load(string yaml, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new ConfigException($"{source}: line {e.Start.Line}, column {e.Start.Column}: invalid YAML: {e.Message}", e);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // YamlDotNet reports some malformed input from its internals (unsupported events, scanner state).
            throw new ConfigException($"{source}: invalid YAML ({e.Message}); check indentation, quotes and brackets", e);
        }
        if (stream.Documents.Count == 0) return new YamlMappingNode();
        return stream.Documents[0].RootNode switch
        {
            YamlMappingNode m => m,
            YamlScalarNode s when string.IsNullOrEmpty(s.Value) => new YamlMappingNode(),
            var n => throw new ConfigException($"{source}: line {n.Start.Line}: the top level must be a mapping of sections (model:, dataset:, lora:, training:, …)"),
        };
    }

    /// <summary>Applies "section.key=value" (value parsed as YAML, so lists like [a, b] work).</summary>
    public static void ApplyOverride(YamlMappingNode root, string assignment, string source)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0) throw new ConfigException($"override '{assignment}' must look like section.key=value (e.g. training.learning_rate=1e-4)");
        var path = assignment[..eq].Trim().Split('.');
        var raw = assignment[(eq + 1)..];
        YamlNode value;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(raw.Length == 0 ? "''" : raw));
            value = stream.Documents.Count == 0 ? new YamlScalarNode(raw) : stream.Documents[0].RootNode;
        }
        catch (YamlException)
        {
            value = new YamlScalarNode(raw);
        }
        Tag(value, assignment);
        var node = root;
        for (int i = 0; i < path.Length - 1; i++)
        {
            var key = new YamlScalarNode(path[i]);
            if (!node.Children.TryGetValue(key, out var child))
            {
                child = new YamlMappingNode();
                OverrideNodes.AddOrUpdate(key, assignment);
                OverrideNodes.AddOrUpdate(child, assignment);
                node.Children[key] = child;
            }
            node = child as YamlMappingNode ?? throw new ConfigException($"override '{assignment}': '{string.Join('.', path[..(i + 1)])}' is not a section");
        }
        var last = new YamlScalarNode(path[^1]);
        OverrideNodes.AddOrUpdate(last, assignment);
        node.Children[last] = value;
    }

    private static void Tag(YamlNode node, string assignment)
    {
        OverrideNodes.AddOrUpdate(node, assignment);
        foreach (var child in node.AllNodes) OverrideNodes.AddOrUpdate(child, assignment);
    }
}
