// Jinja lexer following @huggingface/jinja's tokenizer (lstrip_blocks + trim_blocks preprocessing, `-` whitespace control, JS whitespace/word classes),
// keeping `{% generation %}` tags as marker tokens (the reference deletes them) and a map from preprocessed offsets back to the original template.
using System.Text;
using System.Text.RegularExpressions;

namespace TuneSharp.Tokenizers.Jinja;

internal static partial class JinjaLexer
{
    private const char GenerationStartMark = '\uFDD0';
    private const char GenerationEndMark = '\uFDD1';

    // JS `^` with the m flag matches after any line terminator, not only \n.
    [GeneratedRegex(@"(?:^|(?<=[\n\r\u2028\u2029]))[ \t]*(\{[#%-])")]
    private static partial Regex LstripBlocks();

    [GeneratedRegex(@"([#%-]\})\n")]
    private static partial Regex TrimBlocks();

    [GeneratedRegex(@"(" + JsText.WhiteSpaceClass + @"*)\{%(-?)" + JsText.WhiteSpaceClass + @"*(end)?generation" + JsText.WhiteSpaceClass + @"*(-?)%\}(" + JsText.WhiteSpaceClass + @"*)", RegexOptions.Singleline)]
    private static partial Regex GenerationTag();

    private static readonly (string Seq, JinjaTokenType Type)[] Table =
    [
        ("{%", JinjaTokenType.OpenStatement), ("%}", JinjaTokenType.CloseStatement),
        ("{{", JinjaTokenType.OpenExpression), ("}}", JinjaTokenType.CloseExpression),
        ("(", JinjaTokenType.OpenParen), (")", JinjaTokenType.CloseParen),
        ("{", JinjaTokenType.OpenCurlyBracket), ("}", JinjaTokenType.CloseCurlyBracket),
        ("[", JinjaTokenType.OpenSquareBracket), ("]", JinjaTokenType.CloseSquareBracket),
        (",", JinjaTokenType.Comma), (".", JinjaTokenType.Dot), (":", JinjaTokenType.Colon), ("|", JinjaTokenType.Pipe),
        ("<=", JinjaTokenType.ComparisonBinaryOperator), (">=", JinjaTokenType.ComparisonBinaryOperator),
        ("==", JinjaTokenType.ComparisonBinaryOperator), ("!=", JinjaTokenType.ComparisonBinaryOperator),
        ("<", JinjaTokenType.ComparisonBinaryOperator), (">", JinjaTokenType.ComparisonBinaryOperator),
        ("+", JinjaTokenType.AdditiveBinaryOperator), ("-", JinjaTokenType.AdditiveBinaryOperator), ("~", JinjaTokenType.AdditiveBinaryOperator),
        ("**", JinjaTokenType.ExponentiationBinaryOperator),
        ("*", JinjaTokenType.MultiplicativeBinaryOperator), ("//", JinjaTokenType.MultiplicativeBinaryOperator),
        ("/", JinjaTokenType.MultiplicativeBinaryOperator), ("%", JinjaTokenType.MultiplicativeBinaryOperator),
        ("=", JinjaTokenType.Equals),
    ];

    public static List<JinjaToken> Tokenize(TemplateSource source)
    {
        if (source.Text.Contains(GenerationStartMark) || source.Text.Contains(GenerationEndMark))
            throw source.Error("Template contains the reserved noncharacters U+FDD0/U+FDD1", source.Text.IndexOfAny([GenerationStartMark, GenerationEndMark]));
        var (src, map) = Preprocess(source.Text);
        return new Lexer(source, src, map).Run();
    }

    /// <summary>Applies the reference's preprocessing (drop one trailing newline, lstrip_blocks, trim_blocks, generation tags) and returns the new text with, per character, its original offset.</summary>
    internal static (string Text, int[] Map) Preprocess(string template)
    {
        var text = template;
        var map = new int[text.Length + 1];
        for (int i = 0; i <= text.Length; i++) map[i] = i;
        if (text.EndsWith('\n'))
        {
            text = text[..^1];
            map = map[..^1];
            map[^1] = template.Length;
        }
        (text, map) = Rewrite(text, map, LstripBlocks(), (m, keep, _) => keep(m.Groups[1]));
        (text, map) = Rewrite(text, map, TrimBlocks(), (m, keep, _) => keep(m.Groups[1]));
        (text, map) = Rewrite(text, map, GenerationTag(), (m, keep, literal) =>
        {
            if (m.Groups[2].Length == 0) keep(m.Groups[1]);
            literal(m.Groups[3].Success ? GenerationEndMark : GenerationStartMark, m.Index + m.Groups[1].Length);
            if (m.Groups[4].Length == 0) keep(m.Groups[5]);
        });
        return (text, map);
    }

    private static (string, int[]) Rewrite(string text, int[] map, Regex rx, Action<Match, Action<Group>, Action<char, int>> replace)
    {
        var matches = rx.Matches(text);
        if (matches.Count == 0) return (text, map);
        var sb = new StringBuilder(text.Length);
        var newMap = new List<int>(text.Length + 1);
        int last = 0;
        void Copy(int start, int length)
        {
            sb.Append(text, start, length);
            for (int i = 0; i < length; i++) newMap.Add(map[start + i]);
        }
        foreach (Match m in matches)
        {
            Copy(last, m.Index - last);
            replace(m, g => Copy(g.Index, g.Length), (c, at) => { sb.Append(c); newMap.Add(map[at]); });
            last = m.Index + m.Length;
        }
        Copy(last, text.Length - last);
        newMap.Add(map[text.Length]);
        return (sb.ToString(), newMap.ToArray());
    }

    private sealed class Lexer(TemplateSource source, string src, int[] map)
    {
        private readonly List<JinjaToken> _tokens = [];
        private int _pos;
        private int _curlyDepth;

        private static bool IsMarker(char c) => c is GenerationStartMark or GenerationEndMark;

        private int Orig(int i) => map[Math.Clamp(i, 0, map.Length - 1)];

        private TemplateException Error(string reason, int at) => source.Error(reason, Orig(at));

        private void Push(JinjaTokenType type, string value, int at) => _tokens.Add(new JinjaToken(type, value, Orig(at)));

        /// <summary>Type of the last real token (generation markers are transparent, as the reference never sees them).</summary>
        private JinjaTokenType? LastType()
        {
            for (int i = _tokens.Count - 1; i >= 0; i--)
                if (_tokens[i].Type is not (JinjaTokenType.GenerationStart or JinjaTokenType.GenerationEnd)) return _tokens[i].Type;
            return null;
        }

        private char At(int i) => i < src.Length ? src[i] : '\0';

        private bool StartsWith(string seq) => string.CompareOrdinal(src, _pos, seq, 0, seq.Length) == 0 && _pos + seq.Length <= src.Length;

        private string ConsumeWhile(Func<char, bool> predicate)
        {
            var sb = new StringBuilder();
            while (_pos < src.Length && predicate(src[_pos]))
            {
                if (src[_pos] == '\\')
                {
                    int escAt = _pos;
                    _pos++;
                    if (_pos >= src.Length) throw Error("Unexpected end of input", escAt);
                    char escaped = src[_pos++];
                    if (escaped is 'x' or 'u')
                    {
                        int len = escaped == 'x' ? 2 : 4;
                        string hex = _pos + len <= src.Length ? src.Substring(_pos, len) : src[_pos..];
                        if (hex.Length != len || !hex.All(Uri.IsHexDigit)) throw Error($"Invalid hexadecimal escape sequence: \\{escaped}{hex}", escAt);
                        sb.Append((char)Convert.ToInt32(hex, 16));
                        _pos += len;
                        continue;
                    }
                    sb.Append(escaped switch
                    {
                        'n' => '\n', 't' => '\t', 'r' => '\r', 'b' => '\b', 'f' => '\f', 'v' => '\v',
                        '\'' => '\'', '"' => '"', '\\' => '\\',
                        _ => throw Error($"Unexpected escaped character: {escaped}", escAt),
                    });
                    continue;
                }
                sb.Append(src[_pos++]);
                // The reference requires every tag to close before the end of the template.
                if (_pos >= src.Length) throw Error("Unexpected end of input", _pos - 1);
            }
            return sb.ToString();
        }

        /// <summary>`{%-`/`{{-`/`{#-`: trims the text before the tag, looking through generation markers as the reference's merged text would.</summary>
        private void StripTrailingWhitespace()
        {
            int i = _tokens.Count - 1;
            while (i >= 0)
            {
                while (i >= 0 && _tokens[i].Type is JinjaTokenType.GenerationStart or JinjaTokenType.GenerationEnd) i--;
                if (i < 0 || _tokens[i].Type != JinjaTokenType.Text) return;
                var trimmed = JsText.TrimEnd(_tokens[i].Value);
                if (trimmed.Length > 0) { _tokens[i].Value = trimmed; return; }
                _tokens.RemoveAt(i);
                i--;
            }
        }

        /// <summary>`-%}`/`-}}`/`-#}`: skips the whitespace after the tag (generation markers inside it are kept).</summary>
        private void SkipLeadingWhitespace()
        {
            while (_pos < src.Length && (JsText.IsWhiteSpace(src[_pos]) || IsMarker(src[_pos])))
            {
                if (IsMarker(src[_pos])) PushMarker();
                _pos++;
            }
        }

        private void PushMarker() =>
            Push(src[_pos] == GenerationStartMark ? JinjaTokenType.GenerationStart : JinjaTokenType.GenerationEnd, src[_pos] == GenerationStartMark ? "generation" : "endgeneration", _pos);

        public List<JinjaToken> Run()
        {
            while (_pos < src.Length)
            {
                var last = LastType();
                bool afterMarker = _tokens.Count > 0 && _tokens[^1].Type is JinjaTokenType.GenerationStart or JinjaTokenType.GenerationEnd;
                if (afterMarker || last is null or JinjaTokenType.CloseStatement or JinjaTokenType.CloseExpression or JinjaTokenType.Comment)
                {
                    int start = _pos;
                    while (_pos < src.Length && !IsMarker(src[_pos]) && !(src[_pos] == '{' && At(_pos + 1) is '%' or '{' or '#')) _pos++;
                    if (_pos > start)
                    {
                        Push(JinjaTokenType.Text, src[start.._pos], start);
                        continue;
                    }
                }
                if (IsMarker(src[_pos])) { PushMarker(); _pos++; continue; }

                if (src[_pos] == '{' && At(_pos + 1) == '#')
                {
                    int tagAt = _pos;
                    _pos += 2;
                    bool stripBefore = At(_pos) == '-';
                    if (stripBefore) _pos++;
                    var comment = new StringBuilder();
                    while (At(_pos) != '#' || At(_pos + 1) != '}')
                    {
                        if (_pos + 2 >= src.Length) throw Error("Missing end of comment tag", tagAt);
                        comment.Append(src[_pos++]);
                    }
                    bool stripAfter = comment.Length > 0 && comment[^1] == '-';
                    if (stripAfter) comment.Length--;
                    if (stripBefore) StripTrailingWhitespace();
                    Push(JinjaTokenType.Comment, comment.ToString(), tagAt);
                    _pos += 2;
                    if (stripAfter) SkipLeadingWhitespace();
                    continue;
                }
                if (StartsWith("{%-"))
                {
                    StripTrailingWhitespace();
                    Push(JinjaTokenType.OpenStatement, "{%", _pos);
                    _pos += 3;
                    continue;
                }
                if (StartsWith("{{-"))
                {
                    StripTrailingWhitespace();
                    Push(JinjaTokenType.OpenExpression, "{{", _pos);
                    _curlyDepth = 0;
                    _pos += 3;
                    continue;
                }
                ConsumeWhile(JsText.IsWhiteSpace);
                if (StartsWith("-%}"))
                {
                    Push(JinjaTokenType.CloseStatement, "%}", _pos);
                    _pos += 3;
                    SkipLeadingWhitespace();
                    continue;
                }
                if (StartsWith("-}}"))
                {
                    Push(JinjaTokenType.CloseExpression, "}}", _pos);
                    _pos += 3;
                    SkipLeadingWhitespace();
                    continue;
                }
                if (_pos >= src.Length) break;
                char c = src[_pos];
                if (c is '-' or '+')
                {
                    var prev = _tokens.Count == 0 ? (JinjaTokenType?)null : _tokens[^1].Type;
                    if (prev is null or JinjaTokenType.Text) throw Error($"Unexpected character: {c}", _pos);
                    if (prev is not (JinjaTokenType.Identifier or JinjaTokenType.NumericLiteral or JinjaTokenType.StringLiteral or JinjaTokenType.CloseParen or JinjaTokenType.CloseSquareBracket))
                    {
                        int at = _pos;
                        _pos++;
                        var num = ConsumeWhile(JsText.IsDigit);
                        if (num.Length > 0 && At(_pos) == '.' && JsText.IsDigit(At(_pos + 1)))
                        {
                            _pos++;
                            num = num + "." + ConsumeWhile(JsText.IsDigit);
                        }
                        Push(num.Length > 0 ? JinjaTokenType.NumericLiteral : JinjaTokenType.UnaryOperator, c + num, at);
                        continue;
                    }
                }
                bool matched = false;
                foreach (var (seq, type) in Table)
                {
                    if (seq == "}}" && _curlyDepth > 0) continue;
                    if (!StartsWith(seq)) continue;
                    Push(type, seq, _pos);
                    if (type == JinjaTokenType.OpenExpression) _curlyDepth = 0;
                    else if (type == JinjaTokenType.OpenCurlyBracket) _curlyDepth++;
                    else if (type == JinjaTokenType.CloseCurlyBracket) _curlyDepth--;
                    _pos += seq.Length;
                    matched = true;
                    break;
                }
                if (matched) continue;
                if (c is '\'' or '"')
                {
                    int at = _pos;
                    _pos++;
                    var str = ConsumeWhile(ch => ch != c);
                    Push(JinjaTokenType.StringLiteral, str, at);
                    _pos++;
                    continue;
                }
                if (JsText.IsDigit(c))
                {
                    int at = _pos;
                    var num = ConsumeWhile(JsText.IsDigit);
                    if (LastType() != JinjaTokenType.Dot && At(_pos) == '.' && JsText.IsDigit(At(_pos + 1)))
                    {
                        _pos++;
                        num = num + "." + ConsumeWhile(JsText.IsDigit);
                    }
                    Push(JinjaTokenType.NumericLiteral, num, at);
                    continue;
                }
                if (JsText.IsWordChar(c))
                {
                    int at = _pos;
                    Push(JinjaTokenType.Identifier, ConsumeWhile(JsText.IsWordChar), at);
                    continue;
                }
                throw Error($"Unexpected character: {c}", _pos);
            }
            return _tokens;
        }
    }
}
