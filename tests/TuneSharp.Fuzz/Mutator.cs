// Seeded mutations of valid input files: byte-level (flips, interesting integers, truncation, splices) and text-aware (numbers, strings, nesting, BOM, bad UTF-8).
using System.Text;
using System.Text.RegularExpressions;

namespace TuneSharp.Fuzz;

internal static partial class Mutator
{
    private static readonly long[] InterestingInts = [0, 1, -1, 2, 255, 256, 0x7F, 0x80, 0xFFFF, 0x10000, int.MaxValue, int.MinValue, uint.MaxValue, long.MaxValue, long.MinValue, 1L << 40, 1_000_000, 99_999_999_999];
    private static readonly string[] InterestingNumbers = ["0", "-1", "1", "1e308", "-1e308", "1e-400", "99999999999", "2147483648", "1000000", "0.5", "1.5", "-0", "NaN", "1e9", "3.4e38", "100000"];
    private static readonly string[] InterestingStrings = ["", " ", "\\u0000", "\\ud800", "../../etc/passwd", "{{ x }}", "%s%s%n", "\\n\\n\\n", "ÿ", "null", "true", new string('a', 5000)];

    /// <summary>Hostile Jinja fragments (each must be refused by the sandbox or render quickly).</summary>
    public static readonly string[] JinjaSnippets =
    [
        "{{ " + new string('(', 3000) + "1" + new string(')', 3000) + " }}",
        "{{ " + new string('[', 3000) + " }}",
        "{% for i in range(1000000000) %}{{ i }}{% endfor %}",
        "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
        "{{ 'a' * 999999999 }}",
        "{% set x = [] %}{% set _ = x.append(x) %}{{ x }}",
        "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
        "{% if %}", "{% for %}", "{% endfor %}", "{{", "}}", "{% raw %}", "{{ messages[999999999] }}", "{{ raise_exception('boom') }}",
        "{{ messages|tojson(indent=999999) }}", "{{ 1/0 }}", "{{ none.x.y }}", "{% set a, b = 1 %}", "{{ range(-1e308, 1e308, 1e-300)|length }}",
        "{{ 'x'|indent(999999999) }}", "{{ undefined_fn() }}", "{% filter upper %}", "{% generation %}", "{{ (1,2,3)[::0] }}",
    ];

    /// <summary>Applies 1–3 mutations chosen by <paramref name="rng"/>; text mutations only when the input is text.</summary>
    public static byte[] Mutate(byte[] input, Random rng, bool text, bool jinja = false)
    {
        var data = input;
        int n = 1 + rng.Next(3);
        for (int i = 0; i < n; i++)
        {
            if (jinja && rng.Next(3) == 0) data = InsertText(data, rng, JinjaSnippets[rng.Next(JinjaSnippets.Length)]);
            else if (text && rng.Next(2) == 0) data = MutateText(data, rng);
            else data = MutateBytes(data, rng);
        }
        return data;
    }

    private static byte[] MutateBytes(byte[] d, Random rng)
    {
        if (d.Length == 0) return [(byte)rng.Next(256)];
        var b = (byte[])d.Clone();
        // Headers live at the start: half the byte mutations aim at the first 256 bytes.
        int Pos(int len) => rng.Next(2) == 0 ? rng.Next(Math.Min(len, 256)) : rng.Next(len);
        switch (rng.Next(8))
        {
            case 0: b[Pos(b.Length)] ^= (byte)(1 << rng.Next(8)); return b;
            case 1: b[Pos(b.Length)] = (byte)(new[] { 0, 0xFF, 0x7F, 0x80, 0x20, 0x22, 0x7B, 0x5B })[rng.Next(8)]; return b;
            case 2: return b[..rng.Next(b.Length)];
            case 3:
                {
                    int at = Pos(b.Length), w = rng.Next(2) == 0 ? 4 : 8;
                    if (at + w > b.Length) return b;
                    long v = InterestingInts[rng.Next(InterestingInts.Length)];
                    if (w == 4) BitConverter.TryWriteBytes(b.AsSpan(at, 4), (int)v); else BitConverter.TryWriteBytes(b.AsSpan(at, 8), v);
                    return b;
                }
            case 4:
                {
                    int at = Pos(b.Length), len = 1 + rng.Next(Math.Min(64, b.Length - at));
                    return [.. b[..at], .. b[(at + len)..]];
                }
            case 5:
                {
                    var junk = new byte[1 + rng.Next(32)];
                    rng.NextBytes(junk);
                    int at = Pos(b.Length);
                    return [.. b[..at], .. junk, .. b[at..]];
                }
            case 6:
                {
                    int from = rng.Next(b.Length), len = 1 + rng.Next(Math.Min(512, b.Length - from)), at = Pos(b.Length);
                    return [.. b[..at], .. b.AsSpan(from, len), .. b[at..]];
                }
            default:
                {
                    int at = Pos(b.Length);
                    for (int i = at; i < Math.Min(b.Length, at + 16); i++) b[i] = (byte)rng.Next(256);
                    return b;
                }
        }
    }

    [GeneratedRegex(@"-?\d+(\.\d+)?([eE][+-]?\d+)?")]
    private static partial Regex NumberPattern();

    [GeneratedRegex("\"([^\"\\\\]|\\\\.)*\"")]
    private static partial Regex StringPattern();

    private static byte[] MutateText(byte[] d, Random rng)
    {
        var s = Encoding.UTF8.GetString(d);
        switch (rng.Next(9))
        {
            case 0: return Replace(s, NumberPattern(), rng, InterestingNumbers[rng.Next(InterestingNumbers.Length)]);
            case 1: return Replace(s, StringPattern(), rng, "\"" + InterestingStrings[rng.Next(InterestingStrings.Length)] + "\"");
            case 2:
                {
                    var lines = s.Split('\n').ToList();
                    if (lines.Count > 1) lines.RemoveAt(rng.Next(lines.Count));
                    return Encoding.UTF8.GetBytes(string.Join('\n', lines));
                }
            case 3: return [0xEF, 0xBB, 0xBF, .. d];
            case 4:
                {
                    int at = rng.Next(d.Length + 1);
                    return [.. d[..at], .. new byte[] { 0xC3, 0x28, 0xFF, 0xFE, 0xED, 0xA0, 0x80 }.AsSpan(0, 1 + rng.Next(7)), .. d[at..]];
                }
            case 5:
                {
                    int depth = rng.Next(2) == 0 ? 64 : 5000;
                    return InsertText(d, rng, new string('[', depth) + new string(']', depth));
                }
            case 6: return Encoding.UTF8.GetBytes(s.Replace("true", "false").Replace("null", "\"\""));
            case 7:
                {
                    // Duplicate a line (duplicate keys, rows, YAML entries).
                    var lines = s.Split('\n').ToList();
                    int i = rng.Next(lines.Count);
                    lines.Insert(i, lines[i]);
                    return Encoding.UTF8.GetBytes(string.Join('\n', lines));
                }
            default: return Encoding.UTF8.GetBytes(s.Replace(":", rng.Next(2) == 0 ? "" : "::"));
        }
    }

    private static byte[] Replace(string s, Regex pattern, Random rng, string replacement)
    {
        var matches = pattern.Matches(s);
        if (matches.Count == 0) return Encoding.UTF8.GetBytes(s);
        var m = matches[rng.Next(matches.Count)];
        return Encoding.UTF8.GetBytes(s[..m.Index] + replacement + s[(m.Index + m.Length)..]);
    }

    private static byte[] InsertText(byte[] d, Random rng, string text)
    {
        // Insert at a char boundary of the UTF-8 text.
        var s = Encoding.UTF8.GetString(d);
        int at = rng.Next(s.Length + 1);
        if (at > 0 && at < s.Length && char.IsLowSurrogate(s[at])) at--;
        return Encoding.UTF8.GetBytes(s[..at] + text + s[at..]);
    }
}
