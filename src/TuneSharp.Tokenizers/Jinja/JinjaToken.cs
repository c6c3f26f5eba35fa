// One lexer token: its kind, its (unescaped) text and its offset in the original template.
namespace TuneSharp.Tokenizers.Jinja;

internal sealed class JinjaToken(JinjaTokenType type, string value, int position)
{
    public JinjaTokenType Type { get; } = type;
    public string Value { get; set; } = value;
    /// <summary>Offset in the original (un-preprocessed) template, for error messages.</summary>
    public int Position { get; } = position;

    public override string ToString() => $"{Type}({Value})";
}
