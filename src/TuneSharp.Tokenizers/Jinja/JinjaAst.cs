// Syntax tree of a parsed template: a closed family of small records (kept in one file as one discriminated union); Pos is the original template offset for errors.
namespace TuneSharp.Tokenizers.Jinja;

internal abstract record JinjaNode(int Pos);

// ---- statements ----
internal sealed record TextNode(int Pos, string Text) : JinjaNode(Pos);
internal sealed record OutputNode(int Pos, JinjaNode Expression) : JinjaNode(Pos);
internal sealed record CommentNode(int Pos) : JinjaNode(Pos);
internal sealed record IfNode(int Pos, JinjaNode Test, List<JinjaNode> Body, List<JinjaNode> Alternate) : JinjaNode(Pos);
internal sealed record ForNode(int Pos, JinjaNode Target, JinjaNode Iterable, JinjaNode? Condition, List<JinjaNode> Body, List<JinjaNode> ElseBody) : JinjaNode(Pos);
internal sealed record SetNode(int Pos, JinjaNode Target, JinjaNode? Value, List<JinjaNode> Body) : JinjaNode(Pos);
internal sealed record MacroNode(int Pos, string Name, List<JinjaNode> Parameters, List<JinjaNode> Body) : JinjaNode(Pos);
internal sealed record CallBlockNode(int Pos, CallExpr Call, List<JinjaNode> CallerParameters, List<JinjaNode> Body) : JinjaNode(Pos);
internal sealed record FilterBlockNode(int Pos, JinjaNode Filter, List<JinjaNode> Body) : JinjaNode(Pos);
internal sealed record BreakNode(int Pos) : JinjaNode(Pos);
internal sealed record ContinueNode(int Pos) : JinjaNode(Pos);
internal sealed record GenerationNode(int Pos, bool IsStart) : JinjaNode(Pos);

// ---- expressions ----
internal sealed record IdentifierExpr(int Pos, string Name) : JinjaNode(Pos);
internal sealed record LiteralExpr(int Pos, JinjaValue Value) : JinjaNode(Pos);
internal sealed record ListExpr(int Pos, List<JinjaNode> Items, bool IsTuple) : JinjaNode(Pos);
internal sealed record DictExpr(int Pos, List<(JinjaNode Key, JinjaNode Value)> Entries) : JinjaNode(Pos);
internal sealed record MemberExpr(int Pos, JinjaNode Object, JinjaNode Property, bool Computed) : JinjaNode(Pos);
internal sealed record SliceExpr(int Pos, JinjaNode? Start, JinjaNode? Stop, JinjaNode? Step) : JinjaNode(Pos);
internal sealed record CallExpr(int Pos, JinjaNode Callee, List<JinjaNode> Arguments) : JinjaNode(Pos);
internal sealed record BinaryExpr(int Pos, string Operator, JinjaNode Left, JinjaNode Right) : JinjaNode(Pos);
internal sealed record UnaryExpr(int Pos, string Operator, JinjaNode Argument) : JinjaNode(Pos);
internal sealed record FilterExpr(int Pos, JinjaNode Operand, string Name, List<JinjaNode>? Arguments) : JinjaNode(Pos);
internal sealed record TestExpr(int Pos, JinjaNode Operand, bool Negate, string Name, List<JinjaNode>? Arguments) : JinjaNode(Pos);
internal sealed record SelectExpr(int Pos, JinjaNode Value, JinjaNode Test) : JinjaNode(Pos);
internal sealed record TernaryExpr(int Pos, JinjaNode Condition, JinjaNode IfTrue, JinjaNode IfFalse) : JinjaNode(Pos);
internal sealed record KeywordArgExpr(int Pos, string Name, JinjaNode Value) : JinjaNode(Pos);
internal sealed record SpreadExpr(int Pos, JinjaNode Argument, bool IsKeywords) : JinjaNode(Pos);
