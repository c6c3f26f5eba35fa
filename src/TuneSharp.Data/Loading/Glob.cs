// File globs as datasets.load_dataset accepts them: * and ? within a path segment, ** across folders, [abc] classes.
using System.Text;
using System.Text.RegularExpressions;

namespace TuneSharp.Data.Loading;

public static class Glob
{
    public static bool IsPattern(string path) => path.IndexOfAny(['*', '?', '[']) >= 0;

    /// <summary>Files matching <paramref name="pattern"/> (absolute, or relative to <paramref name="baseDir"/>), in ordinal order.</summary>
    public static IReadOnlyList<string> Expand(string pattern, string? baseDir = null)
    {
        string full = Path.IsPathRooted(pattern) ? pattern : Path.Combine(baseDir ?? Directory.GetCurrentDirectory(), pattern);
        full = full.Replace('\\', '/');
        int wild = full.IndexOfAny(['*', '?', '[']);
        if (wild < 0) return File.Exists(full) ? [full] : [];
        int slash = full.LastIndexOf('/', wild);
        string root = slash <= 0 ? "/" : full[..slash];
        string rest = full[(slash + 1)..];
        if (!Directory.Exists(root)) return [];
        var regex = new Regex("^" + ToRegex(rest) + "$", RegexOptions.CultureInvariant);
        bool deep = rest.Contains('/') || rest.Contains("**", StringComparison.Ordinal);
        return Directory.EnumerateFiles(root, "*", deep ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Select(f => (File: f, Rel: Path.GetRelativePath(root, f).Replace('\\', '/')))
            .Where(x => regex.IsMatch(x.Rel) && !x.Rel.Split('/').Any(s => s.StartsWith('.')))
            .Select(x => x.File)
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    internal static string ToRegex(string glob)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < glob.Length; i++)
        {
            char c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                // "**/" matches zero or more folders; a trailing "**" anything.
                bool slashAfter = i + 2 < glob.Length && glob[i + 2] == '/';
                sb.Append(slashAfter ? "(?:.*/)?" : ".*");
                i += slashAfter ? 2 : 1;
            }
            else if (c == '*') sb.Append("[^/]*");
            else if (c == '?') sb.Append("[^/]");
            else if (c == '[')
            {
                int close = glob.IndexOf(']', i + 1);
                if (close < 0) { sb.Append(@"\["); continue; }
                var body = glob[(i + 1)..close];
                if (body.StartsWith('!')) body = "^" + body[1..];
                sb.Append('[').Append(body.Replace(@"\", @"\\")).Append(']');
                i = close;
            }
            else sb.Append(Regex.Escape(c.ToString()));
        }
        return sb.ToString();
    }
}
