// The `|` filters with @huggingface/jinja's per-type behaviour (bare `|f` and called `|f(...)` forms differ there, as here);
// where the reference throws "Unknown filter", Jinja2's behaviour is used instead (d, count, round, select/reject, map(filter), batch, wordcount, …).
using System.Text;
using System.Text.RegularExpressions;

namespace TuneSharp.Tokenizers.Jinja;

internal static partial class JinjaFilters
{
    [GeneratedRegex(@"\w+")]
    private static partial Regex Word();

    public static JinjaValue Apply(JinjaInterpreter interp, JinjaValue operand, string name, List<JinjaNode>? argNodes, JinjaScope scope)
    {
        if (argNodes == null) return ApplyBare(operand, name);
        var (args, kwargs) = interp.EvalArguments(argNodes, scope);
        return ApplyCalled(interp, operand, name, args, kwargs, scope);
    }

    private static JinjaValue Int(double v) => JinjaValue.FromInteger(v);
    private static JinjaValue Str(string s) => JinjaValue.FromString(s);

    private static JinjaValue Pick(List<JinjaValue> args, int i, OrderedDictionary<string, JinjaValue> kwargs, string name, JinjaValue fallback) =>
        i < args.Count ? args[i] : kwargs.TryGetValue(name, out var v) ? v : fallback;

    /// <summary>`value | name` without parentheses.</summary>
    public static JinjaValue ApplyBare(JinjaValue operand, string name)
    {
        switch (name)
        {
            case "safe": return operand;
            case "tojson": return Str(JinjaJson.Serialize(operand, new JinjaJsonOptions()));
            // Extension: bare default/d replaces only undefined (Jinja2's default('')).
            case "default" or "d": return operand.IsUndefined ? Str("") : operand;
        }
        switch (operand.Kind)
        {
            case JinjaValueKind.List or JinjaValueKind.Tuple:
                {
                    var items = operand.AsList;
                    switch (name)
                    {
                        case "list": return operand;
                        case "first": return items.Count > 0 ? items[0] : JinjaValue.Undefined;
                        case "last": return items.Count > 0 ? items[^1] : JinjaValue.Undefined;
                        case "length" or "count": return Int(items.Count);
                        case "reverse": return JinjaValue.FromList(Enumerable.Reverse(items).ToList());
                        case "sort": return JinjaValue.FromList(JinjaOperators.StableSort(items, x => x, false, false));
                        case "join":
                            {
                                var parts = items.Select(JoinPart).ToList();
                                JinjaSandbox.CheckLength(parts.Sum(p => (long)p.Length));
                                return Str(string.Concat(parts));
                            }
                        case "string": return Str(JinjaJson.Serialize(operand, new JinjaJsonOptions(), convertUndefinedToNull: false));
                        case "unique": return JinjaValue.FromList(Unique(items));
                        case "select" or "reject": return JinjaValue.FromList(items.Where(x => x.IsTruthy == (name == "select")).ToList());
                        case "sum": return items.Aggregate(Int(0), (acc, x) => JinjaOperators.Binary("+", acc, x));
                        case "min" or "max":
                            {
                                if (items.Count == 0) return JinjaValue.Undefined;
                                var sorted = JinjaOperators.StableSort(items, x => x, false, false);
                                return name == "min" ? sorted[0] : sorted[^1];
                            }
                    }
                    throw new JinjaError($"Unknown ArrayValue filter: {name}");
                }
            case JinjaValueKind.String:
                {
                    var s = operand.AsString;
                    switch (name)
                    {
                        case "length" or "count": return Int(s.Length);
                        case "upper" or "lower" or "title" or "capitalize": return JinjaBuiltins.StringMethod(s, name)!.AsCallable([], null!);
                        case "trim": return Str(JsText.Trim(s));
                        case "indent": return Str(Indent(s, 4, false, false));
                        case "join" or "string": return operand;
                        case "int": { double v = JsText.ParseInt(s); return Int(double.IsNaN(v) ? 0 : v); }
                        case "float": { double v = JsText.ParseFloat(s); return JinjaValue.FromFloat(double.IsNaN(v) ? 0 : v); }
                        // Extensions.
                        case "first": return s.Length > 0 ? Str(JsText.CodePoints(s)[0]) : JinjaValue.Undefined;
                        case "last": return s.Length > 0 ? Str(JsText.CodePoints(s)[^1]) : JinjaValue.Undefined;
                        case "list": return JinjaValue.FromList(JsText.CodePoints(s).Select(Str).ToList());
                        case "reverse": { var cps = JsText.CodePoints(s); cps.Reverse(); return Str(string.Concat(cps)); }
                        case "wordcount": return Int(Word().Matches(s).Count);
                        case "tojson": return Str(JinjaJson.Serialize(operand, new JinjaJsonOptions()));
                    }
                    throw new JinjaError($"Unknown StringValue filter: {name}");
                }
            case JinjaValueKind.Integer or JinjaValueKind.Float:
                switch (name)
                {
                    case "abs": return operand.Kind == JinjaValueKind.Integer ? Int(Math.Abs(operand.AsNumber)) : JinjaValue.FromFloat(Math.Abs(operand.AsNumber));
                    case "int": return Int(Math.Floor(operand.AsNumber));
                    case "float": return JinjaValue.FromFloat(operand.AsNumber);
                    case "string": return Str(operand.ToOutputString());
                    // Extension: Jinja2's round() is Python's round (half to even), always a float.
                    case "round": return JinjaValue.FromFloat(Math.Round(operand.AsNumber, MidpointRounding.ToEven));
                }
                throw new JinjaError($"Unknown NumericValue filter: {name}");
            case JinjaValueKind.Dict or JinjaValueKind.KeywordArguments:
                switch (name)
                {
                    case "items": return JinjaBuiltins.Items(operand);
                    case "length" or "count": return Int(operand.AsDict.Count);
                    case "list": return JinjaValue.FromList(operand.AsDict.Keys.Select(Str).ToList());
                    case "string": return Str(operand.ToOutputString());
                }
                {
                    var builtin = JinjaBuiltins.DictMethod(operand, name);
                    if (builtin != null) return builtin.AsCallable([], null!);
                }
                throw new JinjaError($"Unknown ObjectValue filter: {name}");
            case JinjaValueKind.Boolean:
                switch (name)
                {
                    case "bool": return operand;
                    case "int": return Int(operand.AsBoolean ? 1 : 0);
                    case "float": return JinjaValue.FromFloat(operand.AsBoolean ? 1 : 0);
                    case "string": return Str(operand.AsBoolean ? "true" : "false");
                }
                throw new JinjaError($"Unknown BooleanValue filter: {name}");
            case JinjaValueKind.Undefined:
                // Extensions: Jinja2's Undefined is empty when printed, counted or listed.
                switch (name)
                {
                    case "string" or "trim": return Str("");
                    case "length" or "count": return Int(0);
                    case "list": return JinjaValue.FromList([]);
                }
                break;
            case JinjaValueKind.Namespace:
                if (name == "string") return Str(operand.ToOutputString());
                break;
        }
        throw new JinjaError($"Cannot apply filter \"{name}\" to type: {operand.TypeName}");
    }

    private static string JoinPart(JinjaValue x) => x.Kind is JinjaValueKind.Undefined or JinjaValueKind.None ? "" : x.ToRawString();

    private static List<JinjaValue> Unique(List<JinjaValue> items)
    {
        var output = new List<JinjaValue>();
        foreach (var item in items)
            if (!output.Any(o => JinjaOperators.StrictEquals(o, item))) output.Add(item);
        return output;
    }

    private static string Indent(string s, int width, bool first, bool blank)
    {
        if (width < 0) width = 0;
        JinjaSandbox.CheckLength((long)width * (s.Count(c => c == '\n') + 1) + s.Length);
        var pad = new string(' ', width);
        var lines = s.Split('\n');
        for (int i = 0; i < lines.Length; i++)
            if (!((!first && i == 0) || (!blank && lines[i].Length == 0))) lines[i] = pad + lines[i];
        return string.Join("\n", lines);
    }

    /// <summary>`value | name(args)`.</summary>
    private static JinjaValue ApplyCalled(JinjaInterpreter interp, JinjaValue operand, string name, List<JinjaValue> args, OrderedDictionary<string, JinjaValue> kwargs, JinjaScope scope)
    {
        switch (name)
        {
            case "tojson":
                {
                    var indent = kwargs.GetValueOrDefault("indent") ?? JinjaValue.None;
                    if (!(indent.Kind == JinjaValueKind.Integer || indent.IsNone)) throw new JinjaError("If set, indent must be a number");
                    var ensureAscii = kwargs.GetValueOrDefault("ensure_ascii") ?? JinjaValue.False;
                    if (ensureAscii.Kind != JinjaValueKind.Boolean) throw new JinjaError("If set, ensure_ascii must be a boolean");
                    var sortKeys = kwargs.GetValueOrDefault("sort_keys") ?? JinjaValue.False;
                    if (sortKeys.Kind != JinjaValueKind.Boolean) throw new JinjaError("If set, sort_keys must be a boolean");
                    var separators = kwargs.GetValueOrDefault("separators") ?? JinjaValue.None;
                    string? itemSep = null, keySep = null;
                    if (separators.IsList)
                    {
                        var seps = separators.AsList;
                        if (seps.Count != 2 || !seps[0].IsString || !seps[1].IsString) throw new JinjaError("separators must be a tuple of two strings");
                        itemSep = seps[0].AsString;
                        keySep = seps[1].AsString;
                    }
                    else if (!separators.IsNone) throw new JinjaError("If set, separators must be a tuple of two strings");
                    if (!indent.IsNone && indent.AsNumber is < 0 or > 64) throw new JinjaError($"tojson indent {indent.AsNumber} is outside 0..64");
                    return Str(JinjaJson.Serialize(operand, new JinjaJsonOptions(indent.IsNone ? null : (int)indent.AsNumber, ensureAscii.AsBoolean, sortKeys.AsBoolean, itemSep, keySep)));
                }
            case "join":
                {
                    List<string> parts;
                    var attribute = kwargs.GetValueOrDefault("attribute");
                    if (operand.IsString) parts = JsText.CodePoints(operand.AsString);
                    else if (operand.IsList)
                        parts = operand.AsList.Select(x => JoinPart(attribute is { IsString: true } ? JinjaBuiltins.GetAttributeValue(x, attribute.AsString) : x)).ToList();
                    else throw new JinjaError($"Cannot apply filter \"{name}\" to type: {operand.TypeName}");
                    var sep = args.Count > 0 ? args[0] : kwargs.GetValueOrDefault("separator") ?? kwargs.GetValueOrDefault("d") ?? Str("");
                    if (!sep.IsString) throw new JinjaError("separator must be a string");
                    JinjaSandbox.CheckLength(parts.Sum(p => (long)p.Length) + (long)sep.AsString.Length * Math.Max(0, parts.Count - 1));
                    return Str(string.Join(sep.AsString, parts));
                }
            case "int" or "float":
                {
                    bool isInt = name == "int";
                    var fallback = Pick(args, 0, kwargs, "default", isInt ? Int(0) : JinjaValue.FromFloat(0));
                    if (operand.IsString)
                    {
                        double v = isInt ? JsText.ParseInt(operand.AsString) : JsText.ParseFloat(operand.AsString);
                        return double.IsNaN(v) ? fallback : isInt ? Int(v) : JinjaValue.FromFloat(v);
                    }
                    if (operand.IsNumber) return operand;
                    if (operand.Kind == JinjaValueKind.Boolean) return isInt ? Int(operand.AsBoolean ? 1 : 0) : JinjaValue.FromFloat(operand.AsBoolean ? 1 : 0);
                    throw new JinjaError($"Cannot apply filter \"{name}\" to type: {operand.TypeName}");
                }
            case "default" or "d":
                {
                    var fallback = args.Count > 0 ? args[0] : kwargs.GetValueOrDefault("default_value") ?? Str("");
                    var boolean = args.Count > 1 ? args[1] : kwargs.GetValueOrDefault("boolean") ?? JinjaValue.False;
                    if (boolean.Kind != JinjaValueKind.Boolean) throw new JinjaError("`default` filter flag must be a boolean");
                    return operand.IsUndefined || (boolean.AsBoolean && !operand.IsTruthy) ? fallback : operand;
                }
        }
        if (operand.IsList)
        {
            var items = operand.AsList;
            switch (name)
            {
                case "sort":
                    {
                        var reverse = Pick(args, 0, kwargs, "reverse", JinjaValue.False);
                        if (reverse.Kind != JinjaValueKind.Boolean) throw new JinjaError("reverse must be a boolean");
                        var caseSensitive = Pick(args, 1, kwargs, "case_sensitive", JinjaValue.False);
                        if (caseSensitive.Kind != JinjaValueKind.Boolean) throw new JinjaError("case_sensitive must be a boolean");
                        var attribute = Pick(args, 2, kwargs, "attribute", JinjaValue.None);
                        if (!(attribute.IsString || attribute.Kind == JinjaValueKind.Integer || attribute.IsNone))
                            throw new JinjaError("attribute must be a string, integer, or null");
                        string? path = attribute.IsNone ? null : attribute.ToRawString();
                        return JinjaValue.FromList(JinjaOperators.StableSort(items, x => path == null ? x : JinjaBuiltins.GetAttributeValue(x, path), caseSensitive.AsBoolean, reverse.AsBoolean));
                    }
                case "selectattr" or "rejectattr":
                    {
                        bool select = name == "selectattr";
                        if (items.Any(x => !x.IsAttributeContainer)) throw new JinjaError($"`{name}` can only be applied to array of objects");
                        if (args.Count == 0 || !args[0].IsString) throw new JinjaError($"arguments of `{name}` must be strings");
                        string attr = args[0].AsString;
                        string? test = args.Count > 1 ? (args[1].IsString ? args[1].AsString : throw new JinjaError($"arguments of `{name}` must be strings")) : null;
                        var testArgs = args.Skip(2).ToList();
                        return JinjaValue.FromList(items.Where(item =>
                        {
                            bool result = item.AsDict.TryGetValue(attr, out var a) && (test == null ? a.IsTruthy : JinjaTests.Run(test, a, testArgs));
                            return select ? result : !result;
                        }).ToList());
                    }
                case "select" or "reject":
                    {
                        bool select = name == "select";
                        string? test = args.Count > 0 ? (args[0].IsString ? args[0].AsString : throw new JinjaError($"arguments of `{name}` must be strings")) : null;
                        var testArgs = args.Skip(1).ToList();
                        return JinjaValue.FromList(items.Where(x => (test == null ? x.IsTruthy : JinjaTests.Run(test, x, testArgs)) == select).ToList());
                    }
                case "map":
                    {
                        if (kwargs.TryGetValue("attribute", out var attr))
                        {
                            if (!attr.IsString) throw new JinjaError("attribute must be a string");
                            var fallback = kwargs.GetValueOrDefault("default");
                            return JinjaValue.FromList(items.Select(item =>
                            {
                                if (!item.IsAttributeContainer) throw new JinjaError("items in map must be an object");
                                var v = JinjaBuiltins.GetAttributeValue(item, attr.AsString);
                                return v.IsUndefined ? fallback ?? JinjaValue.Undefined : v;
                            }).ToList());
                        }
                        // Extension: map('filter', args...) applies another filter to each item.
                        if (args.Count > 0 && args[0].IsString)
                        {
                            string filter = args[0].AsString;
                            var rest = args.Skip(1).ToList();
                            return JinjaValue.FromList(items.Select(item => rest.Count == 0 && kwargs.Count == 0
                                ? ApplyBare(item, filter)
                                : ApplyCalled(interp, item, filter, rest, kwargs, scope)).ToList());
                        }
                        throw new JinjaError("`map` expressions without `attribute` set are not currently supported.");
                    }
                case "batch":
                    {
                        var size = Pick(args, 0, kwargs, "linecount", JinjaValue.Undefined);
                        if (size.Kind != JinjaValueKind.Integer || size.AsNumber < 1) throw new JinjaError("batch size must be a positive integer");
                        var fill = Pick(args, 1, kwargs, "fill_with", JinjaValue.None);
                        int n = (int)size.AsNumber;
                        var batches = new List<JinjaValue>();
                        for (int i = 0; i < items.Count; i += n)
                        {
                            var chunk = items.Skip(i).Take(n).ToList();
                            if (chunk.Count < n && !fill.IsNone) while (chunk.Count < n) chunk.Add(fill);
                            batches.Add(JinjaValue.FromList(chunk));
                        }
                        return JinjaValue.FromList(batches);
                    }
            }
            if (args.Count == 0 && kwargs.Count == 0) return ApplyBare(operand, name);
            throw new JinjaError($"Unknown ArrayValue filter: {name}");
        }
        if (operand.IsString)
        {
            switch (name)
            {
                case "indent":
                    {
                        var width = Pick(args, 0, kwargs, "width", Int(4));
                        if (width.Kind != JinjaValueKind.Integer) throw new JinjaError("width must be a number");
                        var first = Pick(args, 1, kwargs, "first", JinjaValue.False);
                        var blank = Pick(args, 2, kwargs, "blank", JinjaValue.False);
                        return Str(Indent(operand.AsString, (int)width.AsNumber, first.IsTruthy, blank.IsTruthy));
                    }
                case "replace":
                    {
                        var all = new List<JinjaValue>(args) { JinjaValue.FromKeywordArguments(kwargs) };
                        return JinjaBuiltins.Replace(operand.AsString, all);
                    }
            }
            if (args.Count == 0 && kwargs.Count == 0) return ApplyBare(operand, name);
            throw new JinjaError($"Unknown StringValue filter: {name}");
        }
        if (operand.IsDict)
        {
            var builtin = JinjaBuiltins.DictMethod(operand, name);
            if (builtin != null)
            {
                var all = new List<JinjaValue>(args);
                if (kwargs.Count > 0) all.Add(JinjaValue.FromKeywordArguments(kwargs));
                return builtin.AsCallable(all, scope);
            }
            if (args.Count == 0 && kwargs.Count == 0) return ApplyBare(operand, name);
            throw new JinjaError($"Unknown ObjectValue filter: {name}");
        }
        if (operand.IsNumber && name == "round")
        {
            // Extension: Jinja2 round(precision=0, method='common'|'ceil'|'floor') → float.
            var precision = Pick(args, 0, kwargs, "precision", Int(0));
            var method = Pick(args, 1, kwargs, "method", Str("common"));
            int digits = precision.IsNumber ? Math.Clamp((int)precision.AsNumber, 0, 15) : 0;
            string how = method.IsString ? method.AsString : "common";
            if (how is "ceil" or "floor")
            {
                double scale = Math.Pow(10, digits);
                double x = operand.AsNumber * scale;
                return JinjaValue.FromFloat((how == "ceil" ? Math.Ceiling(x) : Math.Floor(x)) / scale);
            }
            // Python's round(): half to even on the binary value's decimal expansion (G17 keeps 2.45 as 2.4500000000000002 → 2.5).
            if (!double.IsFinite(operand.AsNumber) || Math.Abs(operand.AsNumber) > 7.9e27) return JinjaValue.FromFloat(operand.AsNumber);
            var exact = decimal.Parse(operand.AsNumber.ToString("G17", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture);
            return JinjaValue.FromFloat((double)Math.Round(exact, digits, MidpointRounding.ToEven));
        }
        if (args.Count == 0 && kwargs.Count == 0) return ApplyBare(operand, name);
        throw new JinjaError($"Cannot apply filter \"{name}\" to type: {operand.TypeName}");
    }
}
