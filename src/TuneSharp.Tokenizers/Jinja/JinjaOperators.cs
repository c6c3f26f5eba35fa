// Binary operators, equality and ordering with @huggingface/jinja's semantics (JS loose `==`, strict membership, JS number arithmetic),
// extended where the reference throws with Jinja2 behaviour (string ordering, string repetition).
using System.Text;

namespace TuneSharp.Tokenizers.Jinja;

internal static class JinjaOperators
{
    public static JinjaValue Binary(string op, JinjaValue left, JinjaValue right)
    {
        switch (op)
        {
            case "==": return JinjaValue.FromBool(LooseEquals(left, right));
            case "!=": return JinjaValue.FromBool(!LooseEquals(left, right));
        }
        if (left.IsUndefined || right.IsUndefined)
        {
            if (right.IsUndefined && op is "in" or "not in") return JinjaValue.FromBool(op == "not in");
            throw new JinjaError($"Cannot perform operation {op} on undefined values");
        }
        if (left.IsNone || right.IsNone) throw new JinjaError("Cannot perform operation on null values");
        if (op == "~") return Concat(left.ToRawString(), right.ToRawString());
        if (op == "**" && IsNumericLike(left) && IsNumericLike(right))
        {
            double a = NumericValue(left), b = NumericValue(right);
            if (a == 0 && b < 0) throw new JinjaError("0.0 cannot be raised to a negative power");
            double r = Math.Pow(a, b);
            if (!double.IsFinite(r)) throw new JinjaError("Exponentiation result is not a finite real number");
            bool isFloat = left.Kind == JinjaValueKind.Float || right.Kind == JinjaValueKind.Float || b < 0;
            return isFloat ? JinjaValue.FromFloat(r) : JinjaValue.FromInteger(r);
        }
        if (left.IsNumber && right.IsNumber)
        {
            double a = left.AsNumber, b = right.AsNumber;
            bool isFloat = left.Kind == JinjaValueKind.Float || right.Kind == JinjaValueKind.Float;
            switch (op)
            {
                case "+": return Num(a + b, isFloat);
                case "-": return Num(a - b, isFloat);
                case "*": return Num(a * b, isFloat);
                case "/": return JinjaValue.FromFloat(a / b);
                case "//": return Num(Math.Floor(a / b), isFloat);
                case "%": return Num(a % b, isFloat);
                case "<": return JinjaValue.FromBool(a < b);
                case ">": return JinjaValue.FromBool(a > b);
                case ">=": return JinjaValue.FromBool(a >= b);
                case "<=": return JinjaValue.FromBool(a <= b);
            }
        }
        else if (left.IsList && right.IsList)
        {
            if (op == "+")
            {
                JinjaSandbox.CheckLength((long)left.AsList.Count + right.AsList.Count, "a list");
                return JinjaValue.FromList([.. left.AsList, .. right.AsList]);
            }
        }
        else if (right.IsList)
        {
            bool member = right.AsList.Any(x => StrictEquals(x, left));
            if (op == "in") return JinjaValue.FromBool(member);
            if (op == "not in") return JinjaValue.FromBool(!member);
        }
        if ((left.IsString || right.IsString) && op == "+") return Concat(left.ToRawString(), right.ToRawString());
        if (left.IsString && right.IsString)
        {
            switch (op)
            {
                case "in": return JinjaValue.FromBool(right.AsString.Contains(left.AsString, StringComparison.Ordinal));
                case "not in": return JinjaValue.FromBool(!right.AsString.Contains(left.AsString, StringComparison.Ordinal));
                // Extension (reference throws): Jinja2 orders strings by code point.
                case "<": return JinjaValue.FromBool(string.CompareOrdinal(left.AsString, right.AsString) < 0);
                case ">": return JinjaValue.FromBool(string.CompareOrdinal(left.AsString, right.AsString) > 0);
                case "<=": return JinjaValue.FromBool(string.CompareOrdinal(left.AsString, right.AsString) <= 0);
                case ">=": return JinjaValue.FromBool(string.CompareOrdinal(left.AsString, right.AsString) >= 0);
            }
        }
        if (left.IsString && right.IsDict)
        {
            if (op == "in") return JinjaValue.FromBool(right.AsDict.ContainsKey(left.AsString));
            if (op == "not in") return JinjaValue.FromBool(!right.AsDict.ContainsKey(left.AsString));
        }
        // Extension (reference throws): Python's "ab" * 3.
        if (op == "*" && left.IsString && right.Kind == JinjaValueKind.Integer)
        {
            double times = Math.Max(0, right.AsNumber);
            JinjaSandbox.CheckLength((long)Math.Min(times * left.AsString.Length, long.MaxValue / 2));
            var sb = new StringBuilder();
            for (int i = 0; i < (int)times; i++) sb.Append(left.AsString);
            return JinjaValue.FromString(sb.ToString());
        }
        throw new JinjaError($"Unknown operator \"{op}\" between {left.TypeName} and {right.TypeName}");
    }

    private static JinjaValue Concat(string a, string b)
    {
        JinjaSandbox.CheckLength((long)a.Length + b.Length);
        return JinjaValue.FromString(a + b);
    }

    private static JinjaValue Num(double v, bool isFloat) => isFloat ? JinjaValue.FromFloat(v) : JinjaValue.FromInteger(v);

    public static bool IsNumericLike(JinjaValue v) => v.IsNumber || v.Kind == JinjaValueKind.Boolean;

    public static double NumericValue(JinjaValue v) => v.Kind == JinjaValueKind.Boolean ? (v.AsBoolean ? 1 : 0) : v.AsNumber;

    /// <summary>JS `a.value == b.value`: null and undefined equal each other only; primitives coerce to numbers; containers compare by identity.</summary>
    public static bool LooseEquals(JinjaValue a, JinjaValue b)
    {
        bool aNull = a.Kind is JinjaValueKind.None or JinjaValueKind.Undefined;
        bool bNull = b.Kind is JinjaValueKind.None or JinjaValueKind.Undefined;
        if (aNull || bNull) return aNull && bNull;
        if (a.IsString && b.IsString) return a.AsString == b.AsString;
        if (IsPrimitive(a) && IsPrimitive(b))
        {
            double x = a.IsString ? JsText.ToNumber(a.AsString) : NumericValue(a);
            double y = b.IsString ? JsText.ToNumber(b.AsString) : NumericValue(b);
            return x == y;
        }
        return SameReference(a, b);
    }

    /// <summary>JS `a.value === b.value` (used by `in`, `unique`, equalto).</summary>
    public static bool StrictEquals(JinjaValue a, JinjaValue b)
    {
        if (a.IsNumber && b.IsNumber) return a.AsNumber == b.AsNumber;
        if (a.Kind != b.Kind) return false;
        return a.Kind switch
        {
            JinjaValueKind.None or JinjaValueKind.Undefined => true,
            JinjaValueKind.Boolean => a.AsBoolean == b.AsBoolean,
            JinjaValueKind.String => a.AsString == b.AsString,
            _ => SameReference(a, b),
        };
    }

    private static bool IsPrimitive(JinjaValue v) => v.IsString || v.IsNumber || v.Kind == JinjaValueKind.Boolean;

    private static bool SameReference(JinjaValue a, JinjaValue b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a.IsList && b.IsList) return ReferenceEquals(a.AsList, b.AsList);
        if (a.IsAttributeContainer && b.IsAttributeContainer) return ReferenceEquals(a.AsDict, b.AsDict);
        return false;
    }

    /// <summary>The reference's compareRuntimeValues (sort, dictsort): numbers/booleans numerically, strings case-insensitively unless asked.</summary>
    public static int Compare(JinjaValue a, JinjaValue b, bool caseSensitive)
    {
        if (a.IsNone && b.IsNone) return 0;
        if (a.IsNone || b.IsNone) throw new JinjaError($"Cannot compare {a.TypeName} with {b.TypeName}");
        if (a.IsUndefined && b.IsUndefined) return 0;
        if (a.IsUndefined || b.IsUndefined) throw new JinjaError($"Cannot compare {a.TypeName} with {b.TypeName}");
        if (IsNumericLike(a) && IsNumericLike(b)) return NumericValue(a).CompareTo(NumericValue(b));
        if (a.Kind != b.Kind) throw new JinjaError($"Cannot compare different types: {a.TypeName} and {b.TypeName}");
        if (a.IsString)
        {
            string x = caseSensitive ? a.AsString : a.AsString.ToLowerInvariant();
            string y = caseSensitive ? b.AsString : b.AsString.ToLowerInvariant();
            return Math.Sign(string.CompareOrdinal(x, y));
        }
        throw new JinjaError($"Cannot compare type: {a.TypeName}");
    }

    /// <summary>Stable sort (like V8's Array#sort) with the reference's comparison.</summary>
    public static List<JinjaValue> StableSort(IEnumerable<JinjaValue> items, Func<JinjaValue, JinjaValue> key, bool caseSensitive, bool reverse) =>
        items.Select((v, i) => (v, i)).OrderBy(p => p, Comparer<(JinjaValue v, int i)>.Create((x, y) =>
        {
            int c = Compare(key(x.v), key(y.v), caseSensitive);
            if (reverse) c = -c;
            return c != 0 ? c : x.i.CompareTo(y.i);
        })).Select(p => p.v).ToList();
}
