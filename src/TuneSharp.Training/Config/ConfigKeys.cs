// Every run-config key with its type, default and effect, read from the option classes themselves; renders docs/config-keys.md.
using System.ComponentModel;
using System.Reflection;
using System.Text;

namespace TuneSharp.Training.Config;

/// <summary>One key: <c>section.key</c>, its YAML type, its default (as ToYaml writes it) and what it does.</summary>
public sealed record ConfigKey(string Name, string Type, string Default, string Description, PropertyInfo Property);

/// <summary>
/// The key table is generated from the properties the binder accepts (a public setter makes a key) and their
/// <see cref="DescriptionAttribute"/>, so a new option appears in docs/config-keys.md as soon as it exists; the test
/// that compares the committed file with <see cref="Markdown"/> fails when the file is stale.
/// </summary>
public static class ConfigKeys
{
    /// <summary>All keys in section order (model, dataset, tokenizer, lora, training, tracking).</summary>
    public static IReadOnlyList<ConfigKey> All()
    {
        var defaults = new RunConfig();
        var keys = new List<ConfigKey>();
        foreach (var (section, sectionProperty) in ConfigBinder.SectionProperties(typeof(RunConfig)))
        {
            var instance = sectionProperty.GetValue(defaults)!;
            foreach (var (key, p) in ConfigBinder.SectionProperties(instance.GetType()))
            {
                var description = p.GetCustomAttribute<DescriptionAttribute>()?.Description
                    ?? throw new InvalidOperationException($"{instance.GetType().Name}.{p.Name} has no [Description]: every config key documents its effect");
                keys.Add(new ConfigKey($"{section}.{key}", TypeName(p), ConfigBinder.FormatValue(p.GetValue(instance)), description, p));
            }
        }
        return keys;
    }

    /// <summary>The YAML type of a property: string, integer, number, bool, list of strings, mapping, or the enum's values; "or null" when null is allowed.</summary>
    public static string TypeName(PropertyInfo property)
    {
        var type = property.PropertyType;
        var underlying = Nullable.GetUnderlyingType(type);
        var t = underlying ?? type;
        string name = t == typeof(string) ? "string"
            : t == typeof(int) || t == typeof(long) ? "integer"
            : t == typeof(ulong) ? "integer ≥ 0"
            : t == typeof(double) || t == typeof(float) ? "number"
            : t == typeof(bool) ? "bool"
            : t == typeof(List<string>) ? "list of strings"
            : t == typeof(Dictionary<string, string>) ? "mapping"
            : t.IsEnum ? "one of " + string.Join(", ", ConfigBinder.EnumNames(t).Select(n => n.Name))
            : t.Name;
        bool nullable = underlying != null || new NullabilityInfoContext().Create(property).WriteState == NullabilityState.Nullable;
        return nullable ? name + " or null" : name;
    }

    /// <summary>docs/config-keys.md: one table per section.</summary>
    public static string Markdown()
    {
        var sb = new StringBuilder();
        sb.Append("# Run config keys\n\n");
        sb.Append("Generated from the option classes in `src/TuneSharp.Training` by `ConfigKeys.Markdown()` (`tunesharp config keys`);\n");
        sb.Append("a test fails when this file is stale. Regenerate with\n");
        sb.Append("`dotnet run -c Release --project src/TuneSharp.Cli -- config keys --output docs/config-keys.md`.\n\n");
        sb.Append("Keys are written `section.key` in `key=value` overrides and as nested mappings in YAML. Paths in a config file are\n");
        sb.Append("relative to that file; paths given on the command line are relative to the working directory.\n");
        foreach (var group in All().GroupBy(k => k.Name[..k.Name.IndexOf('.')]))
        {
            sb.Append("\n## ").Append(group.Key).Append("\n\n");
            sb.Append("| key | type | default | effect |\n| --- | --- | --- | --- |\n");
            foreach (var k in group)
                sb.Append("| `").Append(k.Name).Append("` | ").Append(k.Type).Append(" | `").Append(k.Default.Replace("|", "\\|"))
                  .Append("` | ").Append(k.Description.Replace("|", "\\|")).Append(" |\n");
        }
        return sb.ToString();
    }
}
