// A character-level pushdown recognizer of JSON (RFC 8259) prefixes, narrowed by a JsonSchemaNode; the state set makes
// anyOf and "does this number/literal end here?" nondeterministic without backtracking.
using System.Collections.Immutable;

namespace TuneSharp.Inference.Constrained;

/// <summary>
/// States are immutable stacks of frames, so a token's characters can be tried from a state and thrown away. Feeding a
/// character maps a set of states to the set of states reachable by it; an empty set means the text can no longer
/// become valid JSON for the schema. Structural whitespace is limited to <see cref="MaxWhitespaceRun"/> characters in
/// a row so a model cannot spin on blanks forever.
/// </summary>
internal static class JsonMatcher
{
    public const int MaxWhitespaceRun = 4;

    /// <summary>Longest number text accepted (sign, digits, fraction, exponent).</summary>
    public const int MaxNumberLength = 24;

    internal abstract record Frame;

    internal sealed record Root(bool Done) : Frame;

    internal sealed record ValueStart(JsonSchemaNode Schema) : Frame;

    internal enum ObjPhase { Open, Comma, Key, Colon, AfterValue }

    internal sealed record Obj(JsonSchemaNode Schema, ObjPhase Phase, ImmutableHashSet<string> Seen, string Key) : Frame;

    internal enum ArrPhase { Open, Comma, AfterValue }

    internal sealed record Arr(JsonSchemaNode Schema, ArrPhase Phase, int Count) : Frame;

    /// <summary>Inside a string: Len characters so far; Esc 0 = none, 1 = after '\', 2..5 = hex digits still due.</summary>
    internal sealed record Str(int MinLen, int MaxLen, int Len, int Esc) : Frame;

    internal enum NumState { Minus, Zero, Int, Dot, Frac, Exp, ExpSign, ExpDigits }

    internal sealed record Num(bool Integer, NumState State, int Len) : Frame;

    /// <summary>Matching one of several literal texts (true/false/null, enum/const values).</summary>
    internal sealed record Lit(string[] Candidates, string Text) : Frame;

    internal sealed record Stack(Frame Top, Stack? Rest);

    internal readonly record struct State(Stack Stack, int Whitespace);

    public static State Start(JsonSchemaNode schema) => new(new Stack(new ValueStart(schema), new Stack(new Root(false), null)), 0);

    /// <summary>States after <paramref name="c"/> from any of <paramref name="states"/> (deduplicated).</summary>
    public static List<State> Feed(IReadOnlyList<State> states, char c)
    {
        var next = new List<State>(states.Count);
        var tmp = new List<Stack>(4);
        bool ws = IsWs(c);
        foreach (var s in states)
        {
            tmp.Clear();
            Feed(s.Stack, c, tmp);
            foreach (var st in tmp)
            {
                int w = 0;
                if (ws && st.Top is not (Str or Lit) && !(st.Top is Obj { Phase: ObjPhase.Key }))
                {
                    w = s.Whitespace + 1;
                    if (w > MaxWhitespaceRun) continue;
                }
                var ns = new State(st, w);
                if (!next.Contains(ns)) next.Add(ns);
            }
        }
        return next;
    }

    /// <summary>True when the text so far is one complete JSON value (only whitespace may follow).</summary>
    public static bool IsComplete(IReadOnlyList<State> states)
    {
        foreach (var s in states)
        {
            var st = s.Stack;
            if (st.Top is Root { Done: true }) return true;
            if (CanEnd(st.Top) && st.Rest is { Top: Root }) return true;
        }
        return false;
    }

    private static bool CanEnd(Frame f) => f switch
    {
        Num n => n.State is NumState.Zero or NumState.Int or NumState.Frac or NumState.ExpDigits,
        Lit l => Array.IndexOf(l.Candidates, l.Text) >= 0,
        _ => false,
    };

    private static bool IsWs(char c) => c is ' ' or '\n' or '\r' or '\t';

    private static Stack Replace(Stack s, Frame top) => new(top, s.Rest);

    /// <summary>The stack once the value on top is finished: the root becomes done; containers already wait for ',' or a close.</summary>
    private static Stack Complete(Stack below) => below.Top is Root ? new Stack(new Root(true), below.Rest) : below;

    private static void Feed(Stack s, char c, List<Stack> output)
    {
        switch (s.Top)
        {
            case Root r:
                if (r.Done && IsWs(c)) output.Add(s);
                break;
            case ValueStart v:
                if (IsWs(c)) output.Add(s);
                else StartValue(v.Schema, c, s.Rest!, output);
                break;
            case Str str:
                FeedString(s, str, c, output);
                break;
            case Num n:
                {
                    var ns = NextNumber(n, c);
                    if (ns is { } state) output.Add(Replace(s, n with { State = state, Len = n.Len + 1 }));
                    else if (CanEnd(n)) Feed(Complete(s.Rest!), c, output);
                    break;
                }
            case Lit l:
                {
                    var text = l.Text + c;
                    var still = l.Candidates.Where(x => x.StartsWith(text, StringComparison.Ordinal)).ToArray();
                    if (still.Length > 0) output.Add(Replace(s, new Lit(still, text)));
                    if (Array.IndexOf(l.Candidates, l.Text) >= 0) Feed(Complete(s.Rest!), c, output);
                    break;
                }
            case Obj o:
                FeedObject(s, o, c, output);
                break;
            case Arr a:
                FeedArray(s, a, c, output);
                break;
        }
    }

    private static void StartValue(JsonSchemaNode schema, char c, Stack below, List<Stack> output)
    {
        if (schema.AnyOf is { } alts)
        {
            foreach (var alt in alts) StartValue(alt, c, below, output);
            return;
        }
        if (schema.Literals is { } lits)
        {
            var start = lits.Where(x => x[0] == c).ToArray();
            if (start.Length > 0) output.Add(new Stack(new Lit(start, c.ToString()), below));
            return;
        }
        var k = schema.Allowed;
        switch (c)
        {
            case '{' when k.HasFlag(JsonSchemaNode.Kinds.Object):
                output.Add(new Stack(new Obj(schema, ObjPhase.Open, ImmutableHashSet<string>.Empty.WithComparer(StringComparer.Ordinal), ""), below));
                break;
            case '[' when k.HasFlag(JsonSchemaNode.Kinds.Array):
                output.Add(new Stack(new Arr(schema, ArrPhase.Open, 0), below));
                break;
            case '"' when k.HasFlag(JsonSchemaNode.Kinds.String):
                output.Add(new Stack(new Str(schema.MinLength, schema.MaxLength, 0, 0), below));
                break;
            case '-' or (>= '0' and <= '9') when (k & (JsonSchemaNode.Kinds.Number | JsonSchemaNode.Kinds.Integer)) != 0:
                output.Add(new Stack(new Num(!k.HasFlag(JsonSchemaNode.Kinds.Number), c == '-' ? NumState.Minus : c == '0' ? NumState.Zero : NumState.Int, 1), below));
                break;
            case 't' when k.HasFlag(JsonSchemaNode.Kinds.Boolean):
                output.Add(new Stack(new Lit(["true"], "t"), below));
                break;
            case 'f' when k.HasFlag(JsonSchemaNode.Kinds.Boolean):
                output.Add(new Stack(new Lit(["false"], "f"), below));
                break;
            case 'n' when k.HasFlag(JsonSchemaNode.Kinds.Null):
                output.Add(new Stack(new Lit(["null"], "n"), below));
                break;
        }
    }

    private static NumState? NextNumber(Num n, char c)
    {
        if (n.Len >= MaxNumberLength) return null;
        bool digit = c is >= '0' and <= '9';
        return (n.State, c) switch
        {
            (NumState.Minus, '0') => NumState.Zero,
            (NumState.Minus, _) when digit => NumState.Int,
            (NumState.Int, _) when digit => NumState.Int,
            (NumState.Zero or NumState.Int, '.') when !n.Integer => NumState.Dot,
            (NumState.Dot or NumState.Frac, _) when digit => NumState.Frac,
            (NumState.Zero or NumState.Int or NumState.Frac, 'e' or 'E') when !n.Integer => NumState.Exp,
            (NumState.Exp, '+' or '-') => NumState.ExpSign,
            (NumState.Exp or NumState.ExpSign or NumState.ExpDigits, _) when digit => NumState.ExpDigits,
            _ => null,
        };
    }

    private static void FeedString(Stack s, Str str, char c, List<Stack> output)
    {
        if (str.Esc == 1)
        {
            if (c == 'u') output.Add(Replace(s, str with { Esc = 5 }));
            else if (c is '"' or '\\' or '/' or 'b' or 'f' or 'n' or 'r' or 't') output.Add(Replace(s, str with { Esc = 0, Len = str.Len + 1 }));
            return;
        }
        if (str.Esc >= 2)
        {
            if (!char.IsAsciiHexDigit(c)) return;
            output.Add(Replace(s, str.Esc == 2 ? str with { Esc = 0, Len = str.Len + 1 } : str with { Esc = str.Esc - 1 }));
            return;
        }
        if (c == '"')
        {
            if (str.Len >= str.MinLen) output.Add(Complete(s.Rest!));
            return;
        }
        if (c < ' ' || str.Len >= str.MaxLen) return;
        output.Add(Replace(s, c == '\\' ? str with { Esc = 1 } : str with { Len = str.Len + 1 }));
    }

    private static bool MoreKeysPossible(Obj o) =>
        o.Schema.AnyObject || o.Schema.Additional != null || (o.Schema.Properties?.Keys.Any(k => !o.Seen.Contains(k)) ?? false);

    private static bool RequiredDone(Obj o) => o.Schema.Required.All(o.Seen.Contains);

    private static void FeedObject(Stack s, Obj o, char c, List<Stack> output)
    {
        switch (o.Phase)
        {
            case ObjPhase.Open or ObjPhase.Comma:
                if (IsWs(c)) output.Add(s);
                else if (c == '"' && MoreKeysPossible(o)) output.Add(Replace(s, o with { Phase = ObjPhase.Key, Key = "" }));
                else if (c == '}' && o.Phase == ObjPhase.Open && RequiredDone(o)) output.Add(Complete(s.Rest!));
                break;
            case ObjPhase.Key:
                if (c == '"')
                {
                    if (o.Key.Length > 0 && !o.Seen.Contains(o.Key) && KeyAllowed(o, o.Key, exact: true))
                        output.Add(Replace(s, o with { Phase = ObjPhase.Colon }));
                }
                else if (c >= ' ' && c != '\\')
                {
                    var key = o.Key + c;
                    if (KeyAllowed(o, key, exact: false)) output.Add(Replace(s, o with { Key = key }));
                }
                break;
            case ObjPhase.Colon:
                if (IsWs(c)) output.Add(s);
                else if (c == ':')
                {
                    var waiting = new Stack(o with { Phase = ObjPhase.AfterValue, Seen = o.Seen.Add(o.Key) }, s.Rest);
                    output.Add(new Stack(new ValueStart(o.Schema.PropertySchema(o.Key)), waiting));
                }
                break;
            case ObjPhase.AfterValue:
                if (IsWs(c)) output.Add(s);
                else if (c == ',' && MoreKeysPossible(o)) output.Add(Replace(s, o with { Phase = ObjPhase.Comma }));
                else if (c == '}' && RequiredDone(o)) output.Add(Complete(s.Rest!));
                break;
        }
    }

    /// <summary>Whether <paramref name="key"/> is (exact) or begins (prefix) a key this object may still take.</summary>
    private static bool KeyAllowed(Obj o, string key, bool exact)
    {
        if (o.Schema.AnyObject || o.Schema.Additional != null) return !exact || !o.Seen.Contains(key);
        foreach (var name in o.Schema.Properties!.Keys)
        {
            if (o.Seen.Contains(name)) continue;
            if (exact ? name == key : name.StartsWith(key, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    private static void FeedArray(Stack s, Arr a, char c, List<Stack> output)
    {
        var items = a.Schema.Items ?? JsonSchemaNode.Any();
        switch (a.Phase)
        {
            case ArrPhase.Open or ArrPhase.Comma:
                if (IsWs(c)) { output.Add(s); break; }
                if (c == ']' && a.Phase == ArrPhase.Open && a.Schema.MinItems == 0) { output.Add(Complete(s.Rest!)); break; }
                if (a.Count < a.Schema.MaxItems)
                {
                    var waiting = new Stack(a with { Phase = ArrPhase.AfterValue, Count = a.Count + 1 }, s.Rest);
                    StartValue(items, c, waiting, output);
                }
                break;
            case ArrPhase.AfterValue:
                if (IsWs(c)) output.Add(s);
                else if (c == ',' && a.Count < a.Schema.MaxItems) output.Add(Replace(s, a with { Phase = ArrPhase.Comma }));
                else if (c == ']' && a.Count >= a.Schema.MinItems) output.Add(Complete(s.Rest!));
                break;
        }
    }
}
