// Token kinds of the Jinja lexer (same split as @huggingface/jinja, plus the generation markers it strips).
namespace TuneSharp.Tokenizers.Jinja;

internal enum JinjaTokenType
{
    Text,
    NumericLiteral,
    StringLiteral,
    Identifier,
    Equals,
    OpenParen,
    CloseParen,
    OpenStatement,
    CloseStatement,
    OpenExpression,
    CloseExpression,
    OpenSquareBracket,
    CloseSquareBracket,
    OpenCurlyBracket,
    CloseCurlyBracket,
    Comma,
    Dot,
    Colon,
    Pipe,
    AdditiveBinaryOperator,
    MultiplicativeBinaryOperator,
    ExponentiationBinaryOperator,
    ComparisonBinaryOperator,
    UnaryOperator,
    Comment,
    /// <summary>Where a `{% generation %}` tag stood.</summary>
    GenerationStart,
    /// <summary>Where a `{% endgeneration %}` tag stood.</summary>
    GenerationEnd,
}
