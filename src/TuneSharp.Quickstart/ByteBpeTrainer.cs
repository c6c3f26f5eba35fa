// Trains a small byte-level BPE (GPT-2 scheme: byte→printable-char alphabet, regex pre-split, greedy most-frequent-pair
// merges as in Sennrich et al. 2016 / HF tokenizers' BpeTrainer) and writes an HF tokenizer.json + tokenizer_config.json.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace TuneSharp.Quickstart;

public static partial class ByteBpeTrainer
{
    // GPT-2's pre-tokenization pattern (openai/gpt-2 encoder.py), which the ByteLevel pre-tokenizer applies with use_regex.
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    private static partial Regex Gpt2Split();

    private static int ComparePair((string, string) x, (string, string) y)
    {
        int c = string.CompareOrdinal(x.Item1, y.Item1);
        return c != 0 ? c : string.CompareOrdinal(x.Item2, y.Item2);
    }

    /// <summary>GPT-2 bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 onwards.</summary>
    public static char[] ByteAlphabet()
    {
        var map = new char[256];
        var direct = new bool[256];
        for (int b = '!'; b <= '~'; b++) direct[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) direct[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) direct[b] = true;
        int n = 0;
        for (int b = 0; b < 256; b++) map[b] = direct[b] ? (char)b : (char)(256 + n++);
        return map;
    }

    /// <summary>
    /// Learns merges until the vocabulary (256 bytes + merges + <paramref name="specialTokens"/>) reaches
    /// <paramref name="vocabSize"/> or no pair occurs twice. Ties break by the pair's ordinal order, so the result is
    /// deterministic. Returns the tokenizer.json text.
    /// </summary>
    public static string Train(IEnumerable<string> texts, int vocabSize, IReadOnlyList<string> specialTokens)
    {
        var alphabet = ByteAlphabet();
        var wordCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in texts)
            foreach (Match m in Gpt2Split().Matches(text))
            {
                var mapped = string.Concat(Encoding.UTF8.GetBytes(m.Value).Select(b => alphabet[b]));
                wordCounts[mapped] = wordCounts.GetValueOrDefault(mapped) + 1;
            }
        var words = wordCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => (Symbols: kv.Key.Select(c => c.ToString()).ToList(), Count: kv.Value)).ToList();

        var vocab = new List<string>(alphabet.Select(c => c.ToString()));
        var merges = new List<(string A, string B)>();
        int budget = vocabSize - specialTokens.Count;
        while (vocab.Count < budget)
        {
            var pairs = new Dictionary<(string, string), int>();
            foreach (var (symbols, count) in words)
                for (int i = 0; i + 1 < symbols.Count; i++)
                {
                    var key = (symbols[i], symbols[i + 1]);
                    pairs[key] = pairs.GetValueOrDefault(key) + count;
                }
            if (pairs.Count == 0) break;
            (string, string) bestKey = ("", "");
            int bestCount = 0;
            foreach (var (key, count) in pairs)
            {
                int c = count.CompareTo(bestCount);
                if (c > 0 || (c == 0 && ComparePair(key, bestKey) < 0)) { bestKey = key; bestCount = count; }
            }
            if (bestCount < 2) break;
            var (a, b) = bestKey;
            string merged = a + b;
            merges.Add((a, b));
            vocab.Add(merged);
            foreach (var (symbols, _) in words)
                for (int i = 0; i + 1 < symbols.Count; i++)
                    if (symbols[i] == a && symbols[i + 1] == b)
                    {
                        symbols[i] = merged;
                        symbols.RemoveAt(i + 1);
                    }
        }

        var vocabJson = new JsonObject();
        for (int i = 0; i < vocab.Count; i++) vocabJson[vocab[i]] = i;
        var added = new JsonArray();
        for (int i = 0; i < specialTokens.Count; i++)
        {
            int id = vocab.Count + i;
            vocabJson[specialTokens[i]] = id;
            added.Add(new JsonObject
            {
                ["id"] = id, ["content"] = specialTokens[i], ["single_word"] = false, ["lstrip"] = false,
                ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
            });
        }
        var byteLevel = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true };
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = byteLevel.DeepClone(),
            ["post_processor"] = byteLevel.DeepClone(),
            ["decoder"] = byteLevel.DeepClone(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false,
                ["vocab"] = vocabJson,
                ["merges"] = new JsonArray(merges.Select(m => (JsonNode)new JsonArray(m.A, m.B)).ToArray()),
            },
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }
}
