// Options of the tojson filter (json.dumps-style: indent, ensure_ascii, sort_keys, separators).
namespace TuneSharp.Tokenizers.Jinja;

internal readonly record struct JinjaJsonOptions(int? Indent = null, bool EnsureAscii = false, bool SortKeys = false, string? ItemSeparator = null, string? KeySeparator = null);
