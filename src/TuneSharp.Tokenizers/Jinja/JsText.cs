// JavaScript string/number semantics that @huggingface/jinja (the reference chat-template renderer) inherits: whitespace set, trim, \w, Number#toString, JSON.stringify.
using System.Globalization;
using System.Text;

namespace TuneSharp.Tokenizers.Jinja;

internal static class JsText
{
    /// <summary>ECMAScript WhiteSpace + LineTerminator (what String#trim and /\s/ use); differs from char.IsWhiteSpace on U+0085 and U+FEFF.</summary>
    public static bool IsWhiteSpace(char c) => c switch
    {
        '\t' or '\n' or '\v' or '\f' or '\r' or ' ' or '\u00a0' or '\u1680' or '\u2028' or '\u2029' or '\u202f' or '\u205f' or '\u3000' or '\ufeff' => true,
        >= '\u2000' and <= '\u200a' => true,
        _ => false,
    };

    /// <summary>Regex character class equal to JavaScript's \s.</summary>
    public const string WhiteSpaceClass = @"[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]";

    /// <summary>JavaScript \w: ASCII letters, digits and underscore only.</summary>
    public static bool IsWordChar(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_';

    public static bool IsDigit(char c) => c is >= '0' and <= '9';

    public static string Trim(string s) => TrimEnd(TrimStart(s));

    public static string TrimStart(string s)
    {
        int i = 0;
        while (i < s.Length && IsWhiteSpace(s[i])) i++;
        return i == 0 ? s : s[i..];
    }

    public static string TrimEnd(string s)
    {
        int e = s.Length;
        while (e > 0 && IsWhiteSpace(s[e - 1])) e--;
        return e == s.Length ? s : s[..e];
    }

    /// <summary>Python-style strip of a given character set (used where the reference has no opinion).</summary>
    public static string StripChars(string s, string chars, bool start, bool end)
    {
        int b = 0, e = s.Length;
        if (start) while (b < e && chars.Contains(s[b])) b++;
        if (end) while (e > b && chars.Contains(s[e - 1])) e--;
        return s[b..e];
    }

    /// <summary>The reference's title(): upper-cases each ASCII word character that follows a \b boundary, leaves the rest untouched.</summary>
    public static string TitleCase(string s)
    {
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            bool boundary = IsWordChar(c) && (i == 0 || !IsWordChar(s[i - 1]));
            sb.Append(boundary ? char.ToUpperInvariant(c) : c);
        }
        return sb.ToString();
    }

    /// <summary>Number.prototype.toString() (shortest round-trip digits, exponent form outside [1e-6, 1e21)).</summary>
    public static string NumberToString(double d)
    {
        if (double.IsNaN(d)) return "NaN";
        if (double.IsPositiveInfinity(d)) return "Infinity";
        if (double.IsNegativeInfinity(d)) return "-Infinity";
        if (d == 0) return "0";
        string sign = d < 0 ? "-" : "";
        string r = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        int exp = 0;
        int ePos = r.IndexOfAny(['E', 'e']);
        string mant = r;
        if (ePos >= 0)
        {
            exp = int.Parse(r.AsSpan(ePos + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            mant = r[..ePos];
        }
        int dot = mant.IndexOf('.');
        string digits = dot >= 0 ? mant.Remove(dot, 1) : mant;
        int point = dot >= 0 ? dot : mant.Length;
        int lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0') lead++;
        digits = digits[lead..];
        point -= lead;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) return "0";
        int n = point + exp, k = digits.Length;
        string body;
        if (k <= n && n <= 21) body = digits + new string('0', n - k);
        else if (0 < n && n <= 21) body = digits[..n] + "." + digits[n..];
        else if (-6 < n && n <= 0) body = "0." + new string('0', -n) + digits;
        else
        {
            int e = n - 1;
            body = digits[..1] + (k > 1 ? "." + digits[1..] : "") + "e" + (e >= 0 ? "+" : "-") + Math.Abs(e).ToString(CultureInfo.InvariantCulture);
        }
        return sign + body;
    }

    /// <summary>JSON.stringify(string): escapes quote, backslash, control characters and lone surrogates; keeps other non-ASCII.</summary>
    public static void AppendJsonString(StringBuilder sb, string s)
    {
        sb.Append('"');
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20) AppendUnicodeEscape(sb, c);
                    else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { sb.Append(c).Append(s[i + 1]); i++; }
                    else if (char.IsSurrogate(c)) AppendUnicodeEscape(sb, c);
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }

    public static void AppendUnicodeEscape(StringBuilder sb, char c) => sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));

    /// <summary>The reference's ensure_ascii: every UTF-16 unit in [0x7f, 0xffff] becomes \uXXXX.</summary>
    public static string MakeAsciiSafe(string json)
    {
        var sb = new StringBuilder(json.Length);
        foreach (char c in json)
        {
            if (c >= 0x7f) AppendUnicodeEscape(sb, c);
            else sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>parseInt(s, 10): optional whitespace and sign, then leading decimal digits; NaN when none.</summary>
    public static double ParseInt(string s)
    {
        int i = 0;
        while (i < s.Length && IsWhiteSpace(s[i])) i++;
        bool neg = false;
        if (i < s.Length && (s[i] == '+' || s[i] == '-')) { neg = s[i] == '-'; i++; }
        int start = i;
        double v = 0;
        while (i < s.Length && IsDigit(s[i])) { v = v * 10 + (s[i] - '0'); i++; }
        if (i == start) return double.NaN;
        return neg ? -v : v;
    }

    /// <summary>parseFloat(s): the longest leading decimal literal (Infinity accepted); NaN when none.</summary>
    public static double ParseFloat(string s)
    {
        int i = 0;
        while (i < s.Length && IsWhiteSpace(s[i])) i++;
        int start = i;
        if (i < s.Length && (s[i] == '+' || s[i] == '-')) i++;
        if (string.CompareOrdinal(s, i, "Infinity", 0, 8) == 0) return s[start] == '-' ? double.NegativeInfinity : double.PositiveInfinity;
        int digitsStart = i;
        while (i < s.Length && IsDigit(s[i])) i++;
        int intDigits = i - digitsStart;
        int fracDigits = 0;
        if (i < s.Length && s[i] == '.')
        {
            int j = i + 1;
            while (j < s.Length && IsDigit(s[j])) j++;
            fracDigits = j - i - 1;
            if (intDigits > 0 || fracDigits > 0) i = j;
        }
        if (intDigits == 0 && fracDigits == 0) return double.NaN;
        if (i < s.Length && (s[i] == 'e' || s[i] == 'E'))
        {
            int j = i + 1;
            if (j < s.Length && (s[j] == '+' || s[j] == '-')) j++;
            int expStart = j;
            while (j < s.Length && IsDigit(s[j])) j++;
            if (j > expStart) i = j;
        }
        return double.Parse(s.AsSpan(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    /// <summary>Number(string) as used by loose equality: trimmed, empty → 0, otherwise a full decimal literal or NaN.</summary>
    public static double ToNumber(string s)
    {
        var t = Trim(s);
        if (t.Length == 0) return 0;
        if (t is "Infinity" or "+Infinity") return double.PositiveInfinity;
        if (t == "-Infinity") return double.NegativeInfinity;
        foreach (char c in t) if (!(IsDigit(c) || c is '.' or 'e' or 'E' or '+' or '-')) return double.NaN;
        return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
    }

    /// <summary>Array.from(string): splits into code points (surrogate pairs stay together).</summary>
    public static List<string> CodePoints(string s)
    {
        var list = new List<string>(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { list.Add(s.Substring(i, 2)); i++; }
            else list.Add(s[i].ToString());
        }
        return list;
    }
}
