// Loads each shared tokenizer once per test run (gemma3's 262K vocab is not free to load).
using System.Collections.Concurrent;
using TuneSharp.Testing;

namespace TuneSharp.Tokenizers.Tests;

internal static class TokenizerCache
{
    private static readonly ConcurrentDictionary<string, Lazy<Tokenizer>> Cache = new();

    public static Tokenizer Get(string name) =>
        Cache.GetOrAdd(name, n => new Lazy<Tokenizer>(() => Tokenizer.FromPretrained(SharedAssets.Require(Path.Combine("tokenizers", n))))).Value;

    public static string FixturePath(string name) => Path.Combine(SharedAssets.RepoRoot, "tests", "golden", "tokenizers", "fixtures", name + ".json");
}
