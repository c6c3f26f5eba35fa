// Other spellings an enum value accepts in a config (Hugging Face aliases such as adamw_hf for adamw_torch).
namespace TuneSharp.Training.Config;

/// <summary>
/// On an enum field: names that bind to it besides its snake_case name. The binder accepts them (case-insensitive) and
/// offers them in "did you mean" hints; <see cref="ConfigBinder.ToYaml"/> always writes the canonical name.
/// </summary>
[AttributeUsage(AttributeTargets.Field)]
public sealed class ConfigAliasAttribute(params string[] names) : Attribute
{
    public IReadOnlyList<string> Names { get; } = names;
}
