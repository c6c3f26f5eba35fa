// Compares our ids and decodes with the transformers.js reference fixtures (tests/golden/tokenizers) on every corpus case.
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace TuneSharp.Tokenizers.Tests;

public sealed class GoldenTokenizerTests(ITestOutputHelper output)
{
    public static TheoryData<string> Names => new() { "llama3", "gemma3", "qwen3", "smollm2", "tinystories-656k", "all-minilm-l6-v2" };

    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesReference(string name)
    {
        var tok = TokenizerCache.Get(name);
        using var doc = JsonDocument.Parse(File.ReadAllText(TokenizerCache.FixturePath(name)));
        var corpus = LoadCorpus();
        int mismatches = 0, cases = 0;
        var report = new StringBuilder();
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            cases++;
            int id = c.GetProperty("id").GetInt32();
            var text = corpus[id];
            var expected = c.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var expectedNo = c.GetProperty("ids_no_special").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var got = tok.Encode(text);
            var gotNo = tok.Encode(text, addSpecialTokens: false);
            var dec = tok.Decode(expected);
            var decSkip = tok.Decode(expected, skipSpecialTokens: true);
            var roundTrip = tok.Decode(got);
            bool bad = false;
            void Fail(string what, string exp, string act)
            {
                bad = true;
                if (report.Length < 6000) report.AppendLine($"case {id} {JsonSerializer.Serialize(text.Length > 60 ? text[..60] : text)} {what}:\n  expected {exp}\n  actual   {act}");
            }
            if (!got.SequenceEqual(expected)) Fail("ids", string.Join(",", expected), string.Join(",", got));
            if (!gotNo.SequenceEqual(expectedNo)) Fail("ids_no_special", string.Join(",", expectedNo), string.Join(",", gotNo));
            var expDec = c.GetProperty("decoded").GetString()!;
            if (dec != expDec) Fail("decode", JsonSerializer.Serialize(expDec), JsonSerializer.Serialize(dec));
            if (roundTrip != expDec) Fail("decode(encode(x))", JsonSerializer.Serialize(expDec), JsonSerializer.Serialize(roundTrip));
            var expSkip = c.GetProperty("decoded_skip_special").GetString()!;
            if (decSkip != expSkip) Fail("decode skip_special", JsonSerializer.Serialize(expSkip), JsonSerializer.Serialize(decSkip));
            if (bad) mismatches++;
        }
        output.WriteLine($"{name}: {cases} cases, {mismatches} mismatches");
        Assert.True(cases >= 150, $"fixture has only {cases} cases");
        Assert.True(mismatches == 0, $"{name}: {mismatches}/{cases} cases differ from the reference\n{report}");
    }

    internal static Dictionary<int, string> LoadCorpus()
    {
        var path = Path.Combine(Testing.SharedAssets.RepoRoot, "tests", "golden", "tokenizers", "corpus.jsonl");
        var d = new Dictionary<int, string>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            d[doc.RootElement.GetProperty("id").GetInt32()] = doc.RootElement.GetProperty("text").GetString()!;
        }
        return d;
    }
}
