// Recursive-descent parser with @huggingface/jinja's grammar and precedence:
// ternary/select < or < and < not < comparison/in < + - ~ < * / // % < ** < is-tests < |filters < unary sign < call/member < primary.
using System.Globalization;

namespace TuneSharp.Tokenizers.Jinja;

internal sealed class JinjaParser(TemplateSource source, List<JinjaToken> tokens, int maxDepth)
{
    private int _current;
    // Nesting so far: blocks, brackets, unary operators and chain links (a + b + …, x|f|g, a.b.c, elif) each add one, so the
    // tree the interpreter later walks recursively is never deeper than maxDepth (a 5,000-deep `((((…` overflowed the stack).
    private int _depth;

    public static List<JinjaNode> Parse(TemplateSource source, JinjaLimits? limits = null)
    {
        var parser = new JinjaParser(source, JinjaLexer.Tokenize(source), (limits ?? JinjaLimits.Default).MaxNestingDepth);
        var body = new List<JinjaNode>();
        while (parser._current < parser.TokenCount) body.Add(parser.ParseAny());
        return body;
    }

    private int TokenCount => tokens.Count;

    // ---- token helpers ----
    private int EndPos => source.Text.Length;
    private JinjaToken? Peek(int offset = 0) => _current + offset < tokens.Count ? tokens[_current + offset] : null;
    private int PosHere => Peek()?.Position ?? EndPos;

    private TemplateException Error(string reason, int? pos = null) => source.Error(reason, pos ?? PosHere);

    /// <summary>One level deeper; callers that add a level restore <see cref="_depth"/> when they return.</summary>
    private void Deeper()
    {
        if (++_depth > maxDepth)
            throw Error($"the template nests deeper than {maxDepth} levels (blocks, brackets, operator or filter chains); the sandbox refuses it");
        if (!System.Runtime.CompilerServices.RuntimeHelpers.TryEnsureSufficientExecutionStack())
            throw Error("the template nests too deeply for this thread's stack; the sandbox refuses it");
    }

    private T Nested<T>(Func<T> parse)
    {
        int saved = _depth;
        Deeper();
        try { return parse(); }
        finally { _depth = saved; }
    }

    private JinjaToken Next(string expected)
    {
        var t = Peek() ?? throw Error($"Unexpected end of template: {expected}");
        _current++;
        return t;
    }

    private JinjaToken Expect(JinjaTokenType type, string what)
    {
        var t = Peek() ?? throw Error($"Unexpected end of template: expected {what}");
        if (t.Type != type) throw Error($"Expected {what}, got {Describe(t)}", t.Position);
        _current++;
        return t;
    }

    private static string Describe(JinjaToken t) => t.Type switch
    {
        JinjaTokenType.Text => "text",
        JinjaTokenType.Identifier => $"'{t.Value}'",
        JinjaTokenType.StringLiteral => "a string",
        JinjaTokenType.NumericLiteral => $"number {t.Value}",
        _ => $"'{t.Value}'",
    };

    private bool Is(JinjaTokenType type) => Peek()?.Type == type;

    private bool IsIdentifier(string name, int offset = 0) => Peek(offset) is { Type: JinjaTokenType.Identifier } t && t.Value == name;

    private bool IsStatement(params string[] names) =>
        Peek() is { Type: JinjaTokenType.OpenStatement } && Peek(1) is { Type: JinjaTokenType.Identifier } t && names.Contains(t.Value);

    private void ExpectIdentifier(string name)
    {
        if (!IsIdentifier(name)) throw Error($"Expected '{name}'");
        _current++;
    }

    /// <summary>Parses statements until one of the named block tags opens (error at the opening tag if the template ends first).</summary>
    private List<JinjaNode> ParseUntil(int openedAt, string opener, params string[] names)
    {
        var body = new List<JinjaNode>();
        while (!IsStatement(names))
        {
            if (Peek() is null) throw Error($"Unclosed '{opener}' block: expected {{% {string.Join(" or ", names)} %}}", openedAt);
            body.Add(ParseAny());
        }
        return body;
    }

    private void ExpectEndTag(string name)
    {
        Expect(JinjaTokenType.OpenStatement, "'{%'");
        ExpectIdentifier(name);
        Expect(JinjaTokenType.CloseStatement, "'%}'");
    }

    // ---- statements ----
    private JinjaNode ParseAny() => Nested(ParseAnyCore);

    private JinjaNode ParseAnyCore()
    {
        var t = Peek()!;
        switch (t.Type)
        {
            case JinjaTokenType.Comment: _current++; return new CommentNode(t.Position);
            case JinjaTokenType.Text: _current++; return new TextNode(t.Position, t.Value);
            case JinjaTokenType.GenerationStart: _current++; return new GenerationNode(t.Position, true);
            case JinjaTokenType.GenerationEnd: _current++; return new GenerationNode(t.Position, false);
            case JinjaTokenType.OpenStatement: return ParseStatement();
            case JinjaTokenType.OpenExpression:
                {
                    _current++;
                    var e = ParseExpression();
                    Expect(JinjaTokenType.CloseExpression, "'}}'");
                    return new OutputNode(t.Position, e);
                }
            default: throw Error($"Unexpected {Describe(t)}", t.Position);
        }
    }

    private JinjaNode ParseStatement()
    {
        var open = Expect(JinjaTokenType.OpenStatement, "'{%'");
        var nameTok = Peek() ?? throw Error("Unexpected end of template after '{%'");
        if (nameTok.Type != JinjaTokenType.Identifier) throw Error($"Unknown statement, got {Describe(nameTok)}", nameTok.Position);
        int pos = open.Position;
        _current++;
        switch (nameTok.Value)
        {
            case "set": return ParseSet(pos);
            case "if":
                {
                    var node = ParseIf(pos);
                    ExpectEndTag("endif");
                    return node;
                }
            case "for":
                {
                    var node = ParseFor(pos);
                    ExpectEndTag("endfor");
                    return node;
                }
            case "macro":
                {
                    var name = ParsePrimary();
                    if (name is not IdentifierExpr id) throw Error("Expected identifier following macro statement", name.Pos);
                    var parameters = ParseArgs(isParameters: true);
                    Expect(JinjaTokenType.CloseStatement, "'%}'");
                    var body = ParseUntil(pos, "macro", "endmacro");
                    ExpectEndTag("endmacro");
                    return new MacroNode(pos, id.Name, parameters, body);
                }
            case "call":
                {
                    var callerParams = Is(JinjaTokenType.OpenParen) ? ParseArgs(isParameters: true) : [];
                    var callee = ParsePrimary();
                    if (callee is not IdentifierExpr) throw Error("Expected identifier following call statement", callee.Pos);
                    var args = ParseArgs(isParameters: false);
                    Expect(JinjaTokenType.CloseStatement, "'%}'");
                    var body = ParseUntil(pos, "call", "endcall");
                    ExpectEndTag("endcall");
                    return new CallBlockNode(pos, new CallExpr(callee.Pos, callee, args), callerParams, body);
                }
            case "filter":
                {
                    var filterTok = Peek() ?? throw Error("Expected filter name");
                    if (filterTok.Type != JinjaTokenType.Identifier) throw Error("Expected identifier for the filter", filterTok.Position);
                    _current++;
                    List<JinjaNode>? args = Is(JinjaTokenType.OpenParen) ? ParseArgs(isParameters: false) : null;
                    Expect(JinjaTokenType.CloseStatement, "'%}'");
                    var body = ParseUntil(pos, "filter", "endfilter");
                    ExpectEndTag("endfilter");
                    return new FilterBlockNode(pos, new FilterExpr(filterTok.Position, new LiteralExpr(pos, JinjaValue.Undefined), filterTok.Value, args), body);
                }
            case "break":
                Expect(JinjaTokenType.CloseStatement, "'%}'");
                return new BreakNode(pos);
            case "continue":
                Expect(JinjaTokenType.CloseStatement, "'%}'");
                return new ContinueNode(pos);
            default:
                throw Error($"Unknown statement type: {nameTok.Value}", nameTok.Position);
        }
    }

    private JinjaNode ParseSet(int pos)
    {
        var target = ParseExpressionSequence(primary: false);
        if (Is(JinjaTokenType.Equals))
        {
            _current++;
            var value = ParseExpressionSequence(primary: false);
            Expect(JinjaTokenType.CloseStatement, "'%}'");
            return new SetNode(pos, target, value, []);
        }
        Expect(JinjaTokenType.CloseStatement, "'%}' or '='");
        var body = ParseUntil(pos, "set", "endset");
        Expect(JinjaTokenType.OpenStatement, "'{%'");
        ExpectIdentifier("endset");
        Expect(JinjaTokenType.CloseStatement, "'%}'");
        return new SetNode(pos, target, null, body);
    }

    private IfNode ParseIf(int pos)
    {
        var test = ParseExpression();
        Expect(JinjaTokenType.CloseStatement, "'%}'");
        var body = ParseUntil(pos, "if", "elif", "else", "endif");
        var alternate = new List<JinjaNode>();
        if (IsStatement("elif"))
        {
            int elifPos = Peek()!.Position;
            _current += 2;
            alternate.Add(Nested(() => ParseIf(elifPos)));
        }
        else if (IsStatement("else"))
        {
            _current += 2;
            Expect(JinjaTokenType.CloseStatement, "'%}'");
            alternate.AddRange(ParseUntil(pos, "if", "endif"));
        }
        return new IfNode(pos, test, body, alternate);
    }

    private ForNode ParseFor(int pos)
    {
        var target = ParseExpressionSequence(primary: true);
        if (target is not (IdentifierExpr or ListExpr { IsTuple: true }))
            throw Error("Expected identifier/tuple for the loop variable", target.Pos);
        if (!IsIdentifier("in")) throw Error("Expected `in` keyword following loop variable");
        _current++;
        var iterable = ParseExpression();
        JinjaNode? condition = null;
        if (iterable is SelectExpr select)
        {
            iterable = select.Value;
            condition = select.Test;
        }
        Expect(JinjaTokenType.CloseStatement, "'%}'");
        var body = ParseUntil(pos, "for", "endfor", "else");
        var elseBody = new List<JinjaNode>();
        if (IsStatement("else"))
        {
            _current += 2;
            Expect(JinjaTokenType.CloseStatement, "'%}'");
            elseBody = ParseUntil(pos, "for", "endfor");
        }
        return new ForNode(pos, target, iterable, condition, body, elseBody);
    }

    // ---- expressions ----
    private JinjaNode ParseExpressionSequence(bool primary)
    {
        int pos = PosHere;
        var first = primary ? ParsePrimary() : ParseExpression();
        if (!Is(JinjaTokenType.Comma)) return first;
        var items = new List<JinjaNode> { first };
        while (Is(JinjaTokenType.Comma))
        {
            _current++;
            items.Add(primary ? ParsePrimary() : ParseExpression());
        }
        return new ListExpr(pos, items, IsTuple: true);
    }

    private JinjaNode ParseExpression() => Nested(ParseExpressionCore);

    private JinjaNode ParseExpressionCore()
    {
        var a = ParseOr();
        if (!IsIdentifier("if")) return a;
        int pos = Peek()!.Position;
        _current++;
        var test = ParseOr();
        if (IsIdentifier("else"))
        {
            _current++;
            var otherwise = ParseExpression();
            return new TernaryExpr(pos, test, a, otherwise);
        }
        return new SelectExpr(pos, a, test);
    }

    private JinjaNode ParseOr()
    {
        var left = ParseAnd();
        while (IsIdentifier("or"))
        {
            int pos = Next("or").Position;
            Deeper();
            left = new BinaryExpr(pos, "or", left, ParseAnd());
        }
        return left;
    }

    private JinjaNode ParseAnd()
    {
        var left = ParseNot();
        while (IsIdentifier("and"))
        {
            int pos = Next("and").Position;
            Deeper();
            left = new BinaryExpr(pos, "and", left, ParseNot());
        }
        return left;
    }

    private JinjaNode ParseNot()
    {
        if (IsIdentifier("not"))
        {
            int pos = Next("not").Position;
            return new UnaryExpr(pos, "not", Nested(ParseNot));
        }
        return ParseComparison();
    }

    private JinjaNode ParseComparison()
    {
        var left = ParseAdditive();
        while (true)
        {
            string op;
            int pos = PosHere;
            if (IsIdentifier("not") && IsIdentifier("in", 1)) { op = "not in"; _current += 2; }
            else if (IsIdentifier("in")) { op = "in"; _current++; }
            else if (Is(JinjaTokenType.ComparisonBinaryOperator)) op = Next("operator").Value;
            else break;
            Deeper();
            left = new BinaryExpr(pos, op, left, ParseAdditive());
        }
        return left;
    }

    private JinjaNode ParseAdditive()
    {
        var left = ParseMultiplicative();
        while (Is(JinjaTokenType.AdditiveBinaryOperator))
        {
            var op = Next("operator");
            Deeper();
            left = new BinaryExpr(op.Position, op.Value, left, ParseMultiplicative());
        }
        return left;
    }

    private JinjaNode ParseMultiplicative()
    {
        var left = ParsePower();
        while (Is(JinjaTokenType.MultiplicativeBinaryOperator))
        {
            var op = Next("operator");
            Deeper();
            left = new BinaryExpr(op.Position, op.Value, left, ParsePower());
        }
        return left;
    }

    private JinjaNode ParsePower()
    {
        var left = ParseTest();
        while (Is(JinjaTokenType.ExponentiationBinaryOperator))
        {
            var op = Next("operator");
            Deeper();
            left = new BinaryExpr(op.Position, op.Value, left, ParseTest());
        }
        return left;
    }

    private JinjaNode ParseTest()
    {
        var operand = ParseFilter();
        while (IsIdentifier("is"))
        {
            int pos = Next("is").Position;
            bool negate = IsIdentifier("not");
            if (negate) _current++;
            var name = Peek() ?? throw Error("Expected identifier for the test");
            if (name.Type != JinjaTokenType.Identifier) throw Error("Expected identifier for the test", name.Position);
            _current++;
            // Extension over the reference: Jinja2's `is divisibleby(3)` / `is eq(x)` argument form.
            List<JinjaNode>? args = Is(JinjaTokenType.OpenParen) ? ParseArgs(isParameters: false) : null;
            Deeper();
            operand = new TestExpr(pos, operand, negate, name.Value, args);
        }
        return operand;
    }

    private JinjaNode ParseFilter()
    {
        var operand = ParseUnarySign();
        while (Is(JinjaTokenType.Pipe))
        {
            _current++;
            var name = Peek() ?? throw Error("Expected identifier for the filter");
            if (name.Type != JinjaTokenType.Identifier) throw Error("Expected identifier for the filter", name.Position);
            _current++;
            List<JinjaNode>? args = Is(JinjaTokenType.OpenParen) ? ParseArgs(isParameters: false) : null;
            Deeper();
            operand = new FilterExpr(name.Position, operand, name.Value, args);
        }
        return operand;
    }

    private JinjaNode ParseUnarySign()
    {
        if (Peek() is { Type: JinjaTokenType.UnaryOperator or JinjaTokenType.AdditiveBinaryOperator } t && t.Value is "-" or "+")
        {
            _current++;
            return new UnaryExpr(t.Position, t.Value, Nested(ParseUnarySign));
        }
        var member = ParseMember(ParsePrimary());
        return Is(JinjaTokenType.OpenParen) ? ParseCall(member) : member;
    }

    private JinjaNode ParseCall(JinjaNode callee)
    {
        JinjaNode expression = new CallExpr(callee.Pos, callee, ParseArgs(isParameters: false));
        expression = ParseMember(expression);
        if (Is(JinjaTokenType.OpenParen)) expression = Nested(() => ParseCall(expression));
        return expression;
    }

    private List<JinjaNode> ParseArgs(bool isParameters)
    {
        Expect(JinjaTokenType.OpenParen, "'('");
        var args = new List<JinjaNode>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        bool sawKeyword = false, sawSpread = false;
        while (!Is(JinjaTokenType.CloseParen))
        {
            if (Peek() is null) throw Error("Unexpected end of template: expected ')'");
            int pos = PosHere;
            bool keywordSpread = Is(JinjaTokenType.ExponentiationBinaryOperator);
            bool positionalSpread = Peek() is { Type: JinjaTokenType.MultiplicativeBinaryOperator, Value: "*" };
            if (isParameters && (keywordSpread || positionalSpread)) throw Error("Argument unpacking is not allowed in parameter declarations");
            if (keywordSpread)
            {
                _current++;
                args.Add(new SpreadExpr(pos, ParseExpression(), IsKeywords: true));
                if (Is(JinjaTokenType.Comma)) _current++;
                if (!Is(JinjaTokenType.CloseParen)) throw Error("Expected closing parenthesis: `**` must be applied to the final argument");
                break;
            }
            JinjaNode argument;
            if (positionalSpread)
            {
                if (sawSpread) throw Error("Only one `*` argument unpacking is allowed");
                sawSpread = true;
                _current++;
                argument = new SpreadExpr(pos, ParseExpression(), IsKeywords: false);
            }
            else
            {
                argument = ParseExpression();
                if (Is(JinjaTokenType.Equals))
                {
                    _current++;
                    if (argument is not IdentifierExpr id)
                        throw Error(isParameters ? "Expected identifier for parameter declaration" : "Expected identifier for keyword argument", argument.Pos);
                    argument = new KeywordArgExpr(id.Pos, id.Name, ParseExpression());
                }
                if (isParameters)
                {
                    string name = argument switch
                    {
                        IdentifierExpr id => id.Name,
                        KeywordArgExpr kw => kw.Name,
                        _ => throw Error("Expected identifier for parameter declaration", argument.Pos),
                    };
                    if (!names.Add(name)) throw Error($"Duplicate parameter name: {name}", argument.Pos);
                }
                if (argument is KeywordArgExpr) sawKeyword = true;
                else if (sawKeyword)
                    throw Error(isParameters ? "Non-default argument follows default argument" : "Positional arguments must come before keyword arguments", argument.Pos);
                else if (sawSpread) throw Error("Positional arguments must not follow `*` argument unpacking", argument.Pos);
            }
            args.Add(argument);
            if (Is(JinjaTokenType.Comma)) _current++;
        }
        Expect(JinjaTokenType.CloseParen, "')'");
        return args;
    }

    private JinjaNode ParseMember(JinjaNode obj)
    {
        while (Is(JinjaTokenType.Dot) || Is(JinjaTokenType.OpenSquareBracket))
        {
            var op = Next("member");
            Deeper();
            if (op.Type == JinjaTokenType.OpenSquareBracket)
            {
                var property = ParseSubscript(op.Position);
                Expect(JinjaTokenType.CloseSquareBracket, "']'");
                obj = new MemberExpr(op.Position, obj, property, Computed: true);
            }
            else
            {
                var property = ParsePrimary();
                if (property is not (IdentifierExpr or LiteralExpr { Value.Kind: JinjaValueKind.Integer }))
                    throw Error("Expected identifier or integer following dot operator", property.Pos);
                obj = new MemberExpr(op.Position, obj, property, Computed: false);
            }
        }
        return obj;
    }

    private JinjaNode ParseSubscript(int pos)
    {
        var parts = new List<JinjaNode?>();
        bool isSlice = false;
        while (!Is(JinjaTokenType.CloseSquareBracket))
        {
            if (Peek() is null) throw Error("Unexpected end of template: expected ']'");
            if (Is(JinjaTokenType.Colon))
            {
                parts.Add(null);
                _current++;
                isSlice = true;
            }
            else
            {
                parts.Add(ParseExpression());
                if (Is(JinjaTokenType.Colon)) { _current++; isSlice = true; }
            }
        }
        if (parts.Count == 0) throw Error("Expected at least one argument for member/slice expression", pos);
        if (!isSlice) return parts[0]!;
        if (parts.Count > 3) throw Error("Expected 0-3 arguments for slice expression", pos);
        return new SliceExpr(pos, parts[0], parts.Count > 1 ? parts[1] : null, parts.Count > 2 ? parts[2] : null);
    }

    private JinjaNode ParsePrimary()
    {
        var t = Next("expression");
        switch (t.Type)
        {
            case JinjaTokenType.NumericLiteral:
                {
                    double v = double.Parse(t.Value, NumberStyles.Float, CultureInfo.InvariantCulture);
                    return new LiteralExpr(t.Position, t.Value.Contains('.') ? JinjaValue.FromFloat(v) : JinjaValue.FromInteger(v));
                }
            case JinjaTokenType.StringLiteral:
                {
                    var value = t.Value;
                    while (Is(JinjaTokenType.StringLiteral)) value += Next("string").Value;
                    return new LiteralExpr(t.Position, JinjaValue.FromString(value));
                }
            case JinjaTokenType.Identifier:
                return new IdentifierExpr(t.Position, t.Value);
            case JinjaTokenType.OpenParen:
                {
                    var e = ParseExpressionSequence(primary: false);
                    Expect(JinjaTokenType.CloseParen, "')'");
                    return e;
                }
            case JinjaTokenType.OpenSquareBracket:
                {
                    var items = new List<JinjaNode>();
                    while (!Is(JinjaTokenType.CloseSquareBracket))
                    {
                        if (Peek() is null) throw Error("Unexpected end of template: expected ']'", t.Position);
                        items.Add(ParseExpression());
                        if (Is(JinjaTokenType.Comma)) _current++;
                    }
                    _current++;
                    return new ListExpr(t.Position, items, IsTuple: false);
                }
            case JinjaTokenType.OpenCurlyBracket:
                {
                    var entries = new List<(JinjaNode, JinjaNode)>();
                    while (!Is(JinjaTokenType.CloseCurlyBracket))
                    {
                        if (Peek() is null) throw Error("Unexpected end of template: expected '}'", t.Position);
                        var key = ParseExpression();
                        Expect(JinjaTokenType.Colon, "':' between key and value in dict literal");
                        var value = ParseExpression();
                        entries.Add((key, value));
                        if (Is(JinjaTokenType.Comma)) _current++;
                    }
                    _current++;
                    return new DictExpr(t.Position, entries);
                }
            default:
                throw Error($"Unexpected {Describe(t)}", t.Position);
        }
    }
}
