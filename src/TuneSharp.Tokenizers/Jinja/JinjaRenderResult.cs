// Rendered text plus the [Start, End) character spans produced inside `{% generation %}` blocks.
namespace TuneSharp.Tokenizers.Jinja;

public sealed record JinjaRenderResult(string Text, IReadOnlyList<(int Start, int End)> GenerationSpans);
