// A `with:` value of a step: its text (lists joined by commas, mappings as key=value lines) and its YAML line.
namespace TuneSharp.Pipelines.Model;

public sealed record StepSetting(string Value, int Line, IReadOnlyList<string>? Items = null, IReadOnlyList<KeyValuePair<string, string>>? Pairs = null);
