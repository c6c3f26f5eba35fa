// Binds YAML mappings to option classes by snake_case name, with typo suggestions, and writes them back as YAML.
using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace TuneSharp.Training.Config;

public static class ConfigBinder
{
    /// <summary>PascalCase → snake_case (LoadIn4bit → load_in_4bit, PerDeviceTrainBatchSize → per_device_train_batch_size).</summary>
    public static string SnakeCase(string name)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            bool boundary = i > 0 && (char.IsUpper(c) || (char.IsDigit(c) && !char.IsDigit(name[i - 1])));
            if (boundary) sb.Append('_');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    internal static void BindSections(RunConfig config, YamlMappingNode root, string source)
    {
        var sections = SectionProperties(typeof(RunConfig));
        foreach (var (keyNode, valueNode) in root.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? "";
            if (!sections.TryGetValue(key, out var property))
                throw Unknown(source, keyNode, key, "section", sections.Keys, "top level");
            if (valueNode is YamlScalarNode s && string.IsNullOrEmpty(s.Value)) continue; // empty section
            if (valueNode is not YamlMappingNode mapping)
                throw new ConfigException($"{YamlTree.Where(source, valueNode)}: section '{key}' must be a mapping of key: value pairs");
            Bind(property.GetValue(config)!, mapping, source, key);
        }
    }

    /// <summary>Sets the properties of <paramref name="target"/> from a YAML mapping.</summary>
    public static void Bind(object target, YamlMappingNode mapping, string source, string section)
    {
        var properties = SectionProperties(target.GetType());
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? "";
            if (!properties.TryGetValue(key, out var property))
                throw Unknown(source, keyNode, key, "key", properties.Keys, $"section '{section}'");
            try
            {
                property.SetValue(target, Convert(valueNode, property.PropertyType));
            }
            catch (FormatException e)
            {
                throw new ConfigException($"{YamlTree.Where(source, valueNode)}: {section}.{key}: {e.Message}", e);
            }
        }
    }

    /// <summary>The bindable properties of an option class (public setter) by snake_case key, in declaration order.</summary>
    internal static Dictionary<string, PropertyInfo> SectionProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.SetMethod!.IsPublic)
            .ToDictionary(p => SnakeCase(p.Name), StringComparer.Ordinal);

    private static ConfigException Unknown(string source, YamlNode node, string key, string what, IEnumerable<string> known, string where)
    {
        var suggestion = Data.Suggest.Closest(key, known);
        return new ConfigException(
            $"{YamlTree.Where(source, node)}: unknown {what} '{key}' in {where}." +
            (suggestion != null ? $" Did you mean '{suggestion}'?" : "") +
            $" Known {what}s: {string.Join(", ", known)}.");
    }

    private static object? Convert(YamlNode node, Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (node is YamlScalarNode scalar && IsNull(scalar))
        {
            if (underlying != null || !type.IsValueType) return null;
            throw new FormatException($"null is not allowed here (expected {Describe(type)})");
        }
        type = underlying ?? type;
        // A list where a path is expected (dataset.path: [a.jsonl, "b/*.parquet"]) travels as one newline-joined string.
        if (type == typeof(string) && node is YamlSequenceNode paths) return string.Join('\n', paths.Children.Select(c => Scalar(c, type)));
        if (type == typeof(string)) return Scalar(node, type);
        if (type == typeof(bool))
        {
            var v = Scalar(node, type).Trim().ToLowerInvariant();
            return v switch
            {
                "true" or "yes" or "on" or "1" => true,
                "false" or "no" or "off" or "0" => false,
                _ => throw new FormatException($"'{v}' is not a boolean (use true or false)"),
            };
        }
        if (type == typeof(int) || type == typeof(long) || type == typeof(ulong))
        {
            var v = Scalar(node, type).Trim();
            // Accept 1e3-style integers written in float notation when exact.
            if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == Math.Floor(d) && Math.Abs(d) < 9e15)
            {
                if (type == typeof(ulong) && d < 0) throw new FormatException($"'{v}' must not be negative");
                if (type == typeof(int) && (d < int.MinValue || d > int.MaxValue))
                    throw new FormatException($"'{v}' is too large (an integer in {int.MinValue}..{int.MaxValue} is expected)");
                return System.Convert.ChangeType(d, type, CultureInfo.InvariantCulture);
            }
            throw new FormatException($"'{v}' is not an integer");
        }
        if (type == typeof(double) || type == typeof(float))
        {
            var v = Scalar(node, type).Trim();
            if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return System.Convert.ChangeType(d, type, CultureInfo.InvariantCulture);
            throw new FormatException($"'{v}' is not a number");
        }
        if (type.IsEnum)
        {
            // Enums are written as their snake_case names (IntervalStrategy.Steps ↔ steps, SchedulerType.ConstantWithWarmup ↔ constant_with_warmup).
            // [ConfigAlias] spellings (adamw_hf → adamw_torch) bind too and are offered as hints.
            var v = Scalar(node, type).Trim();
            var names = EnumNames(type);
            var spellings = names.Concat(EnumAliases(type)).ToList();
            foreach (var (name, value) in spellings)
                if (string.Equals(name, v, StringComparison.OrdinalIgnoreCase)) return value;
            var hint = Data.Suggest.Closest(v, spellings.Select(n => n.Name));
            throw new FormatException($"'{v}' is not one of {string.Join(", ", names.Select(n => n.Name))}{(hint != null ? $" (did you mean '{hint}'?)" : "")}");
        }
        if (type == typeof(List<string>))
        {
            if (node is YamlSequenceNode seq) return seq.Children.Select(c => Scalar(c, typeof(string))).ToList();
            // A comma-separated string is accepted too (command-line friendly): q_proj,v_proj
            return Scalar(node, type).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        }
        if (type == typeof(Dictionary<string, string>))
        {
            if (node is not YamlMappingNode map) throw new FormatException("expected a mapping like {instruction: question, output: answer}");
            return map.Children.ToDictionary(kv => Scalar(kv.Key, typeof(string)),
                kv => kv.Value is YamlSequenceNode list ? string.Join('\n', list.Children.Select(c => Scalar(c, typeof(string)))) : Scalar(kv.Value, typeof(string)),
                StringComparer.Ordinal);
        }
        throw new FormatException($"unsupported option type {type.Name}");
    }

    /// <summary>The YAML spelling of each value of an enum: snake_case of its C# name.</summary>
    public static IReadOnlyList<(string Name, object Value)> EnumNames(Type enumType) =>
        Enum.GetValues(enumType).Cast<object>().Select(v => (SnakeCase(v.ToString()!), v)).ToList();

    /// <summary>The extra spellings of an enum's values from <see cref="ConfigAliasAttribute"/>.</summary>
    public static IReadOnlyList<(string Name, object Value)> EnumAliases(Type enumType) =>
        enumType.GetFields(BindingFlags.Public | BindingFlags.Static)
            .SelectMany(f => (f.GetCustomAttribute<ConfigAliasAttribute>()?.Names ?? []).Select(a => (a, f.GetValue(null)!)))
            .ToList();

    /// <summary>The YAML spelling of one enum value.</summary>
    public static string EnumName(Enum value) => SnakeCase(value.ToString());

    private static bool IsNull(YamlScalarNode s) =>
        s.Style == YamlDotNet.Core.ScalarStyle.Plain && (s.Value is null or "" or "~" or "null" or "Null" or "NULL");

    private static string Scalar(YamlNode node, Type expected) => node is YamlScalarNode s
        ? s.Value ?? ""
        : throw new FormatException($"expected {Describe(expected)}, got a {(node is YamlSequenceNode ? "list" : "mapping")}");

    private static string Describe(Type t) => t == typeof(string) ? "a string" : t == typeof(bool) ? "true or false"
        : t == typeof(int) || t == typeof(long) || t == typeof(ulong) ? "an integer" : t == typeof(double) ? "a number" : t.Name;

    internal static string ToYaml(RunConfig config)
    {
        var sb = new StringBuilder();
        sb.Append("# Effective TuneSharp config (defaults filled in)\n");
        foreach (var (name, property) in SectionProperties(typeof(RunConfig)))
        {
            sb.Append(name).Append(":\n");
            var section = property.GetValue(config)!;
            foreach (var (key, p) in SectionProperties(section.GetType()))
                sb.Append("  ").Append(key).Append(": ").Append(FormatValue(p.GetValue(section))).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>A value as ToYaml writes it.</summary>
    internal static string FormatValue(object? value) => value switch
    {
        null => "null",
        string s => Quote(s),
        bool b => b ? "true" : "false",
        Enum e => EnumName(e),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IDictionary<string, string> dict => "{" + string.Join(", ", dict.Select(kv => $"{Quote(kv.Key)}: {Quote(kv.Value)}")) + "}",
        IEnumerable e => "[" + string.Join(", ", e.Cast<object?>().Select(FormatValue)) + "]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => Quote(value.ToString() ?? ""),
    };

    private static string Quote(string s) => "'" + s.Replace("'", "''") + "'";
}
