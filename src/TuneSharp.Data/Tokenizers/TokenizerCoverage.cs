// Counts the characters a tokenizer turned into its unknown token, per file, with the most frequent offenders
// (e.g. '#' and '{' in the TinyStories vocabulary), so silent <unk>s become a visible report.
using System.Globalization;
using System.Text;
using TuneSharp.Tokenizers;

namespace TuneSharp.Data.Tokenizers;

public sealed class TokenizerCoverage(Tokenizer tokenizer)
{
    private readonly int? _unk = tokenizer.UnkTokenId;
    private readonly Dictionary<string, FileCoverage> _files = new(StringComparer.Ordinal);

    /// <summary>Per-file counts, in the order files were first seen.</summary>
    public IReadOnlyList<FileCoverage> Files => _files.Values.ToArray();

    public long UnknownCharacters => _files.Values.Sum(f => f.UnknownCharacters);

    /// <summary>Counts the characters of <paramref name="text"/> covered by unknown tokens in <paramref name="encoding"/>.</summary>
    public void Add(string file, string text, TokenEncoding encoding)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(encoding);
        if (!_files.TryGetValue(file, out var f)) _files[file] = f = new FileCoverage(file);
        f.Rows++;
        f.Characters += text.Length;
        if (_unk is not { } unk) return; // byte-level and byte-fallback vocabularies never produce <unk>
        for (int i = 0; i < encoding.Ids.Length; i++)
        {
            if (encoding.Ids[i] != unk || encoding.SpecialTokensMask[i]) continue;
            var (s, e) = encoding.Offsets[i];
            if (e <= s) continue;
            foreach (var rune in text.AsSpan(s, e - s).EnumerateRunes())
            {
                f.UnknownCharacters += rune.Utf16SequenceLength;
                var key = rune.ToString();
                f.Offenders[key] = f.Offenders.GetValueOrDefault(key) + 1;
            }
            f.UnknownRows.Add(f.Rows);
        }
    }

    /// <summary>Encodes and counts a text (for callers that do not tokenize it themselves).</summary>
    public void Add(string file, string text) => Add(file, text, tokenizer.EncodeWithOffsets(text, addSpecialTokens: false));

    /// <summary>One line per file with unknown characters ("" when there are none): share, first rows, top offenders.</summary>
    public string Report(int top = 5)
    {
        var sb = new StringBuilder();
        foreach (var f in _files.Values.Where(f => f.UnknownCharacters > 0))
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"{f.File}: {f.UnknownCharacters} of {f.Characters} characters ({100.0 * f.UnknownCharacters / Math.Max(1, f.Characters):0.###}%) in {f.UnknownRows.Count} of {f.Rows} rows became {tokenizer.UnkToken ?? "<unk>"}");
            sb.Append(" (rows ").Append(string.Join(", ", f.UnknownRows.Take(5))).Append(f.UnknownRows.Count > 5 ? ", …" : "").Append("); top: ");
            sb.Append(string.Join(", ", f.TopOffenders(top).Select(o => $"{Show(o.Character)} ×{o.Count}")));
            sb.Append(". The model never sees these characters; replace them in the data, or use a tokenizer that covers them.\n");
        }
        return sb.ToString().TrimEnd('\n');
    }

    private static string Show(string c) => c switch
    {
        "\n" => "'\\n'", "\t" => "'\\t'", "\r" => "'\\r'", " " => "' '",
        _ => $"'{c}' (U+{char.ConvertToUtf32(c, 0):X4})",
    };
}

/// <summary>Coverage counters of one file.</summary>
public sealed class FileCoverage(string file)
{
    public string File { get; } = file;

    public long Rows { get; internal set; }

    public long Characters { get; internal set; }

    public long UnknownCharacters { get; internal set; }

    /// <summary>1-based rows (within the file) that had unknown characters.</summary>
    public SortedSet<long> UnknownRows { get; } = [];

    internal Dictionary<string, long> Offenders { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<(string Character, long Count)> TopOffenders(int n) =>
        Offenders.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(n).Select(kv => (kv.Key, kv.Value)).ToArray();
}
