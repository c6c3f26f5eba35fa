// Flattens a run config's YAML into dotted parameters (training.learning_rate = 2e-4) for the registry.
using YamlDotNet.RepresentationModel;

namespace TuneSharp.Pipelines.Registry;

public static class RegistryParameters
{
    public static IEnumerable<KeyValuePair<string, string>> FlattenYaml(string yaml)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlDotNet.Core.YamlException) { yield break; }
        if (stream.Documents.Count == 0) yield break;
        foreach (var kv in Flatten(stream.Documents[0].RootNode, "")) yield return kv;
    }

    private static IEnumerable<KeyValuePair<string, string>> Flatten(YamlNode node, string prefix)
    {
        switch (node)
        {
            case YamlMappingNode m:
                foreach (var (k, v) in m.Children)
                    foreach (var kv in Flatten(v, prefix.Length == 0 ? ((YamlScalarNode)k).Value! : $"{prefix}.{((YamlScalarNode)k).Value}")) yield return kv;
                break;
            case YamlSequenceNode s:
                yield return new(prefix, "[" + string.Join(", ", s.Children.OfType<YamlScalarNode>().Select(c => c.Value)) + "]");
                break;
            case YamlScalarNode sc:
                yield return new(prefix, sc.Value ?? "");
                break;
        }
    }
}
