// The `is` tests: @huggingface/jinja's set (defined, none, string, mapping, iterable, …) plus Jinja2's argument tests (divisibleby, sameas, in, comparisons).
namespace TuneSharp.Tokenizers.Jinja;

internal static class JinjaTests
{
    public static bool Exists(string name) => name is "boolean" or "callable" or "odd" or "even" or "false" or "true" or "none" or "string" or "number"
        or "integer" or "float" or "iterable" or "mapping" or "sequence" or "lower" or "upper" or "defined" or "undefined" or "equalto" or "eq" or "ne"
        or "divisibleby" or "sameas" or "in" or "gt" or "ge" or "lt" or "le" or "greaterthan" or "lessthan";

    public static bool Run(string name, JinjaValue v, List<JinjaValue> args)
    {
        JinjaValue Arg0() => args.Count > 0 ? args[0] : JinjaValue.Undefined;
        switch (name)
        {
            case "boolean": return v.Kind == JinjaValueKind.Boolean;
            case "callable": return v.Kind == JinjaValueKind.Function;
            case "odd":
                if (v.Kind != JinjaValueKind.Integer) throw new JinjaError($"cannot odd on {v.TypeName}");
                return v.AsNumber % 2 != 0;
            case "even":
                if (v.Kind != JinjaValueKind.Integer) throw new JinjaError($"cannot even on {v.TypeName}");
                return v.AsNumber % 2 == 0;
            case "false": return v.Kind == JinjaValueKind.Boolean && !v.AsBoolean;
            case "true": return v.Kind == JinjaValueKind.Boolean && v.AsBoolean;
            case "none": return v.IsNone;
            case "string": return v.IsString;
            case "number": return v.IsNumber;
            case "integer": return v.Kind == JinjaValueKind.Integer;
            case "float": return v.Kind == JinjaValueKind.Float;
            case "iterable": return v.IsList || v.IsString;
            case "mapping": return v.IsDict;
            case "sequence": return v.IsList || v.IsDict || v.IsString;
            case "lower": return v.IsString && v.AsString == v.AsString.ToLowerInvariant();
            case "upper": return v.IsString && v.AsString == v.AsString.ToUpperInvariant();
            case "defined": return !v.IsUndefined;
            case "undefined": return v.IsUndefined;
            case "equalto" or "eq" or "sameas": return JinjaOperators.StrictEquals(v, Arg0());
            case "ne": return !JinjaOperators.StrictEquals(v, Arg0());
            case "divisibleby":
                {
                    var d = Arg0();
                    if (!v.IsNumber || !d.IsNumber) throw new JinjaError("divisibleby needs numbers");
                    return v.AsNumber % d.AsNumber == 0;
                }
            case "in": return JinjaOperators.Binary("in", v, Arg0()).AsBoolean;
            case "gt" or "greaterthan": return JinjaOperators.Binary(">", v, Arg0()).AsBoolean;
            case "ge": return JinjaOperators.Binary(">=", v, Arg0()).AsBoolean;
            case "lt" or "lessthan": return JinjaOperators.Binary("<", v, Arg0()).AsBoolean;
            case "le": return JinjaOperators.Binary("<=", v, Arg0()).AsBoolean;
            default: throw new JinjaError($"Unknown test: {name}");
        }
    }
}
