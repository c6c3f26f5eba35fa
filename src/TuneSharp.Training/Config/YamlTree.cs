// Loads YAML into a mapping tree and applies dotted key=value overrides to it.
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace TuneSharp.Training.Config;

internal static class YamlTree
{
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
        var node = root;
        for (int i = 0; i < path.Length - 1; i++)
        {
            var key = new YamlScalarNode(path[i]);
            if (!node.Children.TryGetValue(key, out var child))
            {
                child = new YamlMappingNode();
                node.Children[key] = child;
            }
            node = child as YamlMappingNode ?? throw new ConfigException($"override '{assignment}': '{string.Join('.', path[..(i + 1)])}' is not a section");
        }
        node.Children[new YamlScalarNode(path[^1])] = value;
    }
}
