// Shared helpers for the Jinja/chat-template tests: fixture locations and a byte-exact string comparison that reports the first difference.
using System.Text.Json;
using TuneSharp.Testing;
using TuneSharp.Tokenizers.Jinja;

namespace TuneSharp.Tokenizers.Tests;

internal static class JinjaFixtureSupport
{
    public static string FixtureDir => Path.Combine(SharedAssets.RepoRoot, "tests", "golden", "chat_templates");

    public static JsonDocument Load(string file) => JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDir, file)));

    /// <summary>Resolves "shared:…" (beside the repo) and "repo:…" fixture paths.</summary>
    public static string ResolvePath(string path)
    {
        var colon = path.IndexOf(':');
        var (root, rel) = (path[..colon], path[(colon + 1)..]);
        if (root == "repo") return Path.Combine(SharedAssets.RepoRoot, rel);
        var assets = SharedAssets.Require(".");
        return Path.GetFullPath(Path.Combine(assets, "..", rel));
    }

    public static Dictionary<string, JinjaValue> Variables(JsonElement vars)
    {
        var d = new Dictionary<string, JinjaValue>(StringComparer.Ordinal);
        if (vars.ValueKind == JsonValueKind.Object)
            foreach (var p in vars.EnumerateObject()) d[p.Name] = JinjaValue.FromJson(p.Value);
        return d;
    }

    /// <summary>Byte-exact equality; on mismatch reports the first differing offset with context.</summary>
    public static void AssertSameText(string expected, string actual, string what)
    {
        if (string.Equals(expected, actual, StringComparison.Ordinal)) return;
        int i = expected.AsSpan().CommonPrefixLength(actual);
        string Ctx(string s) => Escape(s.Substring(Math.Max(0, i - 20), Math.Min(s.Length, i + 40) - Math.Max(0, i - 20)));
        Assert.Fail($"{what}: first difference at char {i} (expected length {expected.Length}, actual {actual.Length})\n expected: …{Ctx(expected)}…\n actual:   …{Ctx(actual)}…");
    }

    private static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\n", "\\n").Replace("\t", "\\t").Replace("\r", "\\r");
}
