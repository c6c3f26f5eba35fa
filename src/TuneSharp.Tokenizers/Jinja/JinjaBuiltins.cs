// Attribute access, the methods templates call on strings/lists/dicts (as @huggingface/jinja defines them, plus Jinja2's list.append/pop and str.join/find/count),
// and the global functions: namespace, range, raise_exception, strftime_now, dict.
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace TuneSharp.Tokenizers.Jinja;

internal static partial class JinjaBuiltins
{
    [GeneratedRegex(@"[^\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+")]
    private static partial Regex NonSpaceRun();

    public static JinjaValue GetMember(JinjaValue obj, JinjaValue property)
    {
        if (obj.IsAttributeContainer)
        {
            if (!property.IsString) throw new JinjaError($"Cannot access property with non-string: got {property.TypeName}");
            if (obj.AsDict.TryGetValue(property.AsString, out var v)) return v;
            return obj.IsDict ? DictMethod(obj, property.AsString) ?? JinjaValue.Undefined : JinjaValue.Undefined;
        }
        if (obj.IsList || obj.IsString)
        {
            if (property.Kind == JinjaValueKind.Integer)
            {
                int length = obj.IsList ? obj.AsList.Count : obj.AsString.Length;
                double i = property.AsNumber < 0 ? length + property.AsNumber : property.AsNumber;
                if (i < 0 || i >= length) return JinjaValue.Undefined;
                return obj.IsList ? obj.AsList[(int)i] : JinjaValue.FromString(obj.AsString[(int)i].ToString());
            }
            if (property.IsString)
                return (obj.IsList ? ListMethod(obj, property.AsString) : StringMethod(obj.AsString, property.AsString)) ?? JinjaValue.Undefined;
            throw new JinjaError($"Cannot access property with non-string/non-number: got {property.TypeName}");
        }
        if (!property.IsString) throw new JinjaError($"Cannot access property with non-string: got {property.TypeName}");
        return JinjaValue.Undefined;
    }

    private static JinjaValue Fn(Func<List<JinjaValue>, JinjaValue> f) => JinjaValue.FromFunction((args, _) => f(args));

    private static JinjaValue Arg(List<JinjaValue> args, int i) => i < args.Count && args[i].Kind != JinjaValueKind.KeywordArguments ? args[i] : JinjaValue.Undefined;

    private static JinjaValue? Kwarg(List<JinjaValue> args, string name) =>
        args.Count > 0 && args[^1].Kind == JinjaValueKind.KeywordArguments && args[^1].AsDict.TryGetValue(name, out var v) ? v : null;

    public static JinjaValue? StringMethod(string s, string name) => name switch
    {
        "upper" => Fn(_ => JinjaValue.FromString(s.ToUpperInvariant())),
        "lower" => Fn(_ => JinjaValue.FromString(s.ToLowerInvariant())),
        // The reference ignores strip's argument and trims JS whitespace; kept for byte-exact output.
        "strip" => Fn(_ => JinjaValue.FromString(JsText.Trim(s))),
        "lstrip" => Fn(_ => JinjaValue.FromString(JsText.TrimStart(s))),
        "rstrip" => Fn(_ => JinjaValue.FromString(JsText.TrimEnd(s))),
        "title" => Fn(_ => JinjaValue.FromString(JsText.TitleCase(s))),
        "capitalize" => Fn(_ => JinjaValue.FromString(s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..])),
        "length" => JinjaValue.FromInteger(s.Length),
        "startswith" => Fn(args => JinjaValue.FromBool(Affix(s, args, "startswith", (x, p) => x.StartsWith(p, StringComparison.Ordinal)))),
        "endswith" => Fn(args => JinjaValue.FromBool(Affix(s, args, "endswith", (x, p) => x.EndsWith(p, StringComparison.Ordinal)))),
        "split" => Fn(args => Split(s, args)),
        "replace" => Fn(args => Replace(s, args)),
        // Extensions (Python str methods the reference lacks).
        "join" => Fn(args =>
        {
            var seq = Arg(args, 0);
            var parts = seq.IsString ? JsText.CodePoints(seq.AsString) : seq.IsList ? seq.AsList.Select(x => x.ToRawString()).ToList()
                : throw new JinjaError("join() argument must be an iterable");
            return JinjaValue.FromString(string.Join(s, parts));
        }),
        "find" => Fn(args => JinjaValue.FromInteger(s.IndexOf(RequireString(Arg(args, 0), "find"), StringComparison.Ordinal))),
        "count" => Fn(args => JinjaValue.FromInteger(CountOccurrences(s, RequireString(Arg(args, 0), "count")))),
        _ => null,
    };

    private static string RequireString(JinjaValue v, string method) =>
        v.IsString ? v.AsString : throw new JinjaError($"{method}() argument must be a string, got {v.TypeName}");

    private static int CountOccurrences(string s, string sub)
    {
        if (sub.Length == 0) return s.Length + 1;
        int n = 0;
        for (int i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    private static bool Affix(string s, List<JinjaValue> args, string name, Func<string, string, bool> test)
    {
        if (args.Count == 0) throw new JinjaError($"{name}() requires at least one argument");
        var pattern = args[0];
        if (pattern.IsString) return test(s, pattern.AsString);
        if (pattern.IsList)
        {
            foreach (var item in pattern.AsList)
            {
                if (!item.IsString) throw new JinjaError($"{name}() tuple elements must be strings");
                if (test(s, item.AsString)) return true;
            }
            return false;
        }
        throw new JinjaError($"{name}() argument must be a string or tuple of strings");
    }

    /// <summary>Python str.split(sep=None, maxsplit=-1) as the reference implements it.</summary>
    private static JinjaValue Split(string s, List<JinjaValue> args)
    {
        var sep = args.Count > 0 ? args[0] : JinjaValue.None;
        if (!(sep.IsString || sep.IsNone)) throw new JinjaError("sep argument must be a string or null");
        var maxArg = args.Count > 1 ? args[1] : JinjaValue.FromInteger(-1);
        if (maxArg.Kind != JinjaValueKind.Integer) throw new JinjaError("maxsplit argument must be a number");
        int max = (int)maxArg.AsNumber;
        var result = new List<string>();
        if (sep.IsNone)
        {
            var text = JsText.TrimStart(s);
            foreach (Match m in NonSpaceRun().Matches(text))
            {
                if (max != -1 && result.Count >= max)
                {
                    result.Add(m.Value + text[(m.Index + m.Length)..]);
                    break;
                }
                result.Add(m.Value);
            }
        }
        else
        {
            if (sep.AsString.Length == 0) throw new JinjaError("empty separator");
            result.AddRange(s.Split(sep.AsString));
            if (max != -1 && result.Count > max)
            {
                var tail = string.Join(sep.AsString, result.Skip(max));
                result.RemoveRange(max, result.Count - max);
                result.Add(tail);
            }
        }
        return JinjaValue.FromList(result.Select(JinjaValue.FromString).ToList());
    }

    public static JinjaValue Replace(string s, List<JinjaValue> args)
    {
        if (args.Count < 2) throw new JinjaError("replace() requires at least two arguments");
        var oldValue = args[0];
        var newValue = args[1];
        if (!(oldValue.IsString && newValue.IsString)) throw new JinjaError("replace() arguments must be strings");
        JinjaValue count = JinjaValue.None;
        if (args.Count > 2) count = args[2].Kind == JinjaValueKind.KeywordArguments ? Kwarg(args, "count") ?? JinjaValue.None : args[2];
        if (!(count.Kind == JinjaValueKind.Integer || count.IsNone)) throw new JinjaError("replace() count argument must be a number or null");
        double remaining = count.IsNone || count.AsNumber < 0 ? double.PositiveInfinity : count.AsNumber;
        if (remaining == 0) return JinjaValue.FromString(s);
        string o = oldValue.AsString, n = newValue.AsString;
        var sb = new StringBuilder();
        if (o.Length == 0)
        {
            // Empty pattern matches between code points (JS "(?=)" with the u flag), including both ends.
            var cps = JsText.CodePoints(s);
            for (int i = 0; i <= cps.Count; i++)
            {
                if (remaining > 0) { sb.Append(n); remaining--; }
                if (i < cps.Count) sb.Append(cps[i]);
            }
            return JinjaValue.FromString(sb.ToString());
        }
        int pos = 0;
        while (remaining > 0)
        {
            int idx = s.IndexOf(o, pos, StringComparison.Ordinal);
            if (idx < 0) break;
            sb.Append(s, pos, idx - pos).Append(n);
            pos = idx + o.Length;
            remaining--;
        }
        sb.Append(s, pos, s.Length - pos);
        return JinjaValue.FromString(sb.ToString());
    }

    private static JinjaValue? ListMethod(JinjaValue list, string name) => name switch
    {
        "length" => JinjaValue.FromInteger(list.AsList.Count),
        // Extensions (Jinja2 allows these outside the sandbox).
        "append" => Fn(args => { list.AsList.Add(Arg(args, 0)); return JinjaValue.None; }),
        "pop" => Fn(args =>
        {
            var items = list.AsList;
            if (items.Count == 0) throw new JinjaError("pop from empty list");
            var at = Arg(args, 0);
            int i = at.Kind == JinjaValueKind.Integer ? (int)(at.AsNumber < 0 ? items.Count + at.AsNumber : at.AsNumber) : items.Count - 1;
            if (i < 0 || i >= items.Count) throw new JinjaError("pop index out of range");
            var v = items[i];
            items.RemoveAt(i);
            return v;
        }),
        "index" => Fn(args =>
        {
            int i = list.AsList.FindIndex(x => JinjaOperators.StrictEquals(x, Arg(args, 0)));
            return i >= 0 ? JinjaValue.FromInteger(i) : throw new JinjaError("value is not in list");
        }),
        _ => null,
    };

    public static JinjaValue? DictMethod(JinjaValue dict, string name) => name switch
    {
        "get" => Fn(args =>
        {
            var key = Arg(args, 0);
            if (!key.IsString) throw new JinjaError($"Object key must be a string: got {key.TypeName}");
            if (dict.AsDict.TryGetValue(key.AsString, out var v)) return v;
            return args.Count > 1 ? args[1] : JinjaValue.None;
        }),
        "items" => Fn(_ => Items(dict)),
        "keys" => Fn(_ => JinjaValue.FromList(dict.AsDict.Keys.Select(JinjaValue.FromString).ToList())),
        "values" => Fn(_ => JinjaValue.FromList(dict.AsDict.Values.ToList())),
        "dictsort" => Fn(args => DictSort(dict, args)),
        _ => null,
    };

    public static JinjaValue Items(JinjaValue dict) =>
        JinjaValue.FromList(dict.AsDict.Select(kv => JinjaValue.FromList([JinjaValue.FromString(kv.Key), kv.Value])).ToList());

    private static JinjaValue DictSort(JinjaValue dict, List<JinjaValue> args)
    {
        var positional = args.Where(a => a.Kind != JinjaValueKind.KeywordArguments).ToList();
        JinjaValue Opt(int i, string name, JinjaValue fallback) => i < positional.Count ? positional[i] : Kwarg(args, name) ?? fallback;
        var caseSensitive = Opt(0, "case_sensitive", JinjaValue.False);
        if (caseSensitive.Kind != JinjaValueKind.Boolean) throw new JinjaError("case_sensitive must be a boolean");
        var by = Opt(1, "by", JinjaValue.FromString("key"));
        if (!by.IsString) throw new JinjaError("by must be a string");
        if (by.AsString is not ("key" or "value")) throw new JinjaError("by must be either 'key' or 'value'");
        var reverse = Opt(2, "reverse", JinjaValue.False);
        if (reverse.Kind != JinjaValueKind.Boolean) throw new JinjaError("reverse must be a boolean");
        int index = by.AsString == "key" ? 0 : 1;
        return JinjaValue.FromList(JinjaOperators.StableSort(Items(dict).AsList, p => p.AsList[index], caseSensitive.AsBoolean, reverse.AsBoolean));
    }

    /// <summary>Dotted attribute path lookup used by map/sort(attribute=): dict keys and list indexes.</summary>
    public static JinjaValue GetAttributeValue(JinjaValue item, string path)
    {
        var value = item;
        foreach (var part in path.Split('.'))
        {
            if (value.IsAttributeContainer) value = value.AsDict.TryGetValue(part, out var v) ? v : JinjaValue.Undefined;
            else if (value.IsList)
            {
                double idx = JsText.ParseInt(part);
                if (!double.IsNaN(idx) && idx >= 0 && idx < value.AsList.Count) value = value.AsList[(int)idx];
                else return JinjaValue.Undefined;
            }
            else return JinjaValue.Undefined;
        }
        return value;
    }

    // ---- globals ----
    public static JinjaScope CreateGlobals(JinjaLimits? limits = null)
    {
        var g = new JinjaScope(null);
        g.Set("false", JinjaValue.False);
        g.Set("true", JinjaValue.True);
        g.Set("none", JinjaValue.None);
        g.Set("False", JinjaValue.False);
        g.Set("True", JinjaValue.True);
        g.Set("None", JinjaValue.None);
        g.Set("namespace", Fn(Namespace));
        g.Set("raise_exception", Fn(args =>
        {
            var msg = Arg(args, 0);
            throw new JinjaRaise(msg.IsUndefined ? "" : msg.ToRawString());
        }));
        int maxRange = (limits ?? JinjaLimits.Default).MaxRange;
        g.Set("range", Fn(args => Range(args, maxRange)));
        g.Set("strftime_now", Fn(args => JinjaValue.FromString(Strftime(DateTime.Now, RequireString(Arg(args, 0), "strftime_now")))));
        // Extension: Jinja2's dict(**kwargs).
        g.Set("dict", Fn(args => JinjaValue.FromDict(new OrderedDictionary<string, JinjaValue>(Kwargs(args), StringComparer.Ordinal))));
        return g;
    }

    private static OrderedDictionary<string, JinjaValue> Kwargs(List<JinjaValue> args) =>
        args.Count > 0 && args[^1].Kind == JinjaValueKind.KeywordArguments ? args[^1].AsDict : new(StringComparer.Ordinal);

    private static JinjaValue Namespace(List<JinjaValue> args)
    {
        var positional = args.Where(a => a.Kind != JinjaValueKind.KeywordArguments).ToList();
        if (positional.Count > 1) throw new JinjaError($"namespace expected at most 1 argument, got {positional.Count}");
        var entries = new OrderedDictionary<string, JinjaValue>(StringComparer.Ordinal);
        if (positional.Count == 1)
        {
            var src = positional[0];
            if (src.IsDict) foreach (var kv in src.AsDict) entries[kv.Key] = kv.Value;
            else if (src.IsList)
            {
                foreach (var pair in src.AsList)
                {
                    List<JinjaValue>? kv = pair.IsList ? pair.AsList : pair.IsString ? JsText.CodePoints(pair.AsString).Select(JinjaValue.FromString).ToList() : null;
                    if (kv is not { Count: 2 }) throw new JinjaError("namespace expected an object or an iterable of [key, value] pairs");
                    if (!kv[0].IsString) throw new JinjaError("namespace keys must be strings");
                    entries[kv[0].AsString] = kv[1];
                }
            }
            else throw new JinjaError($"'{src.TypeName}' object is not iterable");
        }
        foreach (var kv in Kwargs(args)) entries[kv.Key] = kv.Value;
        return JinjaValue.FromNamespace(entries);
    }

    private static JinjaValue Range(List<JinjaValue> args, int maxRange)
    {
        var nums = args.Where(a => a.Kind != JinjaValueKind.KeywordArguments).ToList();
        if (nums.Count == 0 || nums.Any(n => !JinjaOperators.IsNumericLike(n))) throw new JinjaError("range() arguments must be numbers");
        double start = 0, stop, step = 1;
        if (nums.Count == 1) stop = JinjaOperators.NumericValue(nums[0]);
        else
        {
            start = JinjaOperators.NumericValue(nums[0]);
            stop = JinjaOperators.NumericValue(nums[1]);
            if (nums.Count > 2) step = JinjaOperators.NumericValue(nums[2]);
        }
        if (step == 0) throw new JinjaError("range() step must not be zero");
        if (!double.IsFinite(start) || !double.IsFinite(stop) || !double.IsFinite(step)) throw new JinjaError("range() arguments must be finite numbers");
        // Count first, allocate after (range(1000000000) used to fill 4 GB before any check): Jinja2's sandbox MAX_RANGE.
        double count = Math.Max(0, Math.Ceiling((stop - start) / step));
        if (count > maxRange)
            throw new JinjaError($"range() would produce {count:0} items; the template sandbox allows at most {maxRange:N0} (Jinja2's sandbox MAX_RANGE)");
        var list = new List<JinjaValue>((int)count);
        if (step > 0) for (double i = start; i < stop; i += step) list.Add(JinjaValue.FromNumber(i));
        else for (double i = start; i > stop; i += step) list.Add(JinjaValue.FromNumber(i));
        return JinjaValue.FromList(list);
    }

    /// <summary>strftime subset the reference supports: %Y %m %d %b %B %H %M %%.</summary>
    public static string Strftime(DateTime date, string format)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length) { sb.Append(format[i]); continue; }
            char c = format[i + 1];
            string? rep = c switch
            {
                'Y' => date.Year.ToString(inv),
                'm' => date.Month.ToString("00", inv),
                'd' => date.Day.ToString("00", inv),
                'b' => date.ToString("MMM", inv),
                'B' => date.ToString("MMMM", inv),
                'H' => date.Hour.ToString("00", inv),
                'M' => date.Minute.ToString("00", inv),
                '%' => "%",
                _ => null,
            };
            if (rep == null) { sb.Append('%'); continue; }
            sb.Append(rep);
            i++;
        }
        return sb.ToString();
    }
}
