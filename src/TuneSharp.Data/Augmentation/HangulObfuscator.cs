// Obfuscates Korean text the way review writers evade filters (e.g. "확장실입니다" → "확잠실읾니닼"), seeded.
// Techniques follow the "restore obfuscated Korean reviews" task: final-consonant insertion, liaison, similar jamo.
using System.Text;

namespace TuneSharp.Data.Augmentation;

public sealed class HangulObfuscator
{
    private readonly HangulObfuscationOptions _options;

    public HangulObfuscator(HangulObfuscationOptions? options = null)
    {
        _options = options ?? new HangulObfuscationOptions();
        _options.Validate();
    }

    // Similar-sounding medials (index pairs): ㅐ↔ㅔ, ㅒ↔ㅖ, ㅙ↔ㅞ, ㅚ↔ㅞ, ㅓ↔ㅗ is too lossy and not used.
    private static readonly Dictionary<int, int[]> SimilarMedials = new()
    {
        [1] = [5], [5] = [1],          // ㅐ ↔ ㅔ
        [3] = [7], [7] = [3],          // ㅒ ↔ ㅖ
        [10] = [11, 15], [11] = [10, 15], [15] = [10, 11], // ㅙ ↔ ㅚ ↔ ㅞ
    };

    // Plain ↔ tense initials: ㄱ↔ㄲ, ㄷ↔ㄸ, ㅂ↔ㅃ, ㅅ↔ㅆ, ㅈ↔ㅉ.
    private static readonly Dictionary<int, int> SimilarInitials = new()
    {
        [0] = 1, [1] = 0, [3] = 4, [4] = 3, [7] = 8, [8] = 7, [9] = 10, [10] = 9, [12] = 13, [13] = 12,
    };

    // Finals that sound alike at the end of a syllable (neutralisation): ㄷ-family, ㄱ-family, ㅂ-family.
    private static readonly int[][] FinalFamilies =
    [
        [7, 19, 20, 22, 23, 25, 27], // ㄷ ㅅ ㅆ ㅈ ㅊ ㅌ ㅎ → [t]
        [1, 2, 24],                  // ㄱ ㄲ ㅋ → [k]
        [17, 26],                    // ㅂ ㅍ → [p]
    ];

    // Finals used for random insertion: the common single consonants.
    private static readonly int[] InsertableFinals = [1, 4, 7, 8, 16, 17, 19, 21, 22, 24, 26];

    /// <summary>Obfuscates <paramref name="text"/>; non-Hangul characters pass through unchanged.</summary>
    public string Obfuscate(string text, SplitMix64 rng)
    {
        var chars = text.ToCharArray();
        // Liaison first (it looks at pairs of original syllables), then per-syllable edits.
        for (int i = 0; i + 1 < chars.Length; i++)
        {
            if (!HangulSyllable.IsSyllable(chars[i]) || !HangulSyllable.IsSyllable(chars[i + 1])) continue;
            var a = HangulSyllable.Decompose(chars[i]);
            var b = HangulSyllable.Decompose(chars[i + 1]);
            if (a.Final == 0 || b.Initial != 11 /* ㅇ */) continue;
            if (HangulSyllable.SplitForLiaison(a.Final) is not { } split) continue;
            if (rng.NextDouble() >= _options.LiaisonRate) continue;
            chars[i] = (a with { Final = split.RemainingFinal }).Compose();
            chars[i + 1] = (b with { Initial = split.MovedInitial }).Compose();
            i++;
        }
        var sb = new StringBuilder(chars.Length);
        foreach (var c in chars)
        {
            if (!HangulSyllable.IsSyllable(c)) { sb.Append(c); continue; }
            var s = HangulSyllable.Decompose(c);
            if (rng.NextDouble() < _options.SimilarJamoRate) s = SubstituteSimilar(s, rng);
            if (s.Final == 0 && rng.NextDouble() < _options.FinalInsertionRate)
                s = s with { Final = InsertableFinals[rng.NextBelow((ulong)InsertableFinals.Length)] };
            sb.Append(s.Compose());
        }
        return sb.ToString();
    }

    private static HangulSyllable SubstituteSimilar(HangulSyllable s, SplitMix64 rng)
    {
        // Pick which part to change among those that have a similar-sounding alternative.
        var options = new List<int>(3);
        if (SimilarInitials.ContainsKey(s.Initial)) options.Add(0);
        if (SimilarMedials.ContainsKey(s.Medial)) options.Add(1);
        if (s.Final != 0 && FinalFamilies.Any(f => f.Contains(s.Final))) options.Add(2);
        if (options.Count == 0) return s;
        switch (options[(int)rng.NextBelow((ulong)options.Count)])
        {
            case 0:
                return s with { Initial = SimilarInitials[s.Initial] };
            case 1:
                var medials = SimilarMedials[s.Medial];
                return s with { Medial = medials[rng.NextBelow((ulong)medials.Length)] };
            default:
                var family = FinalFamilies.First(f => f.Contains(s.Final));
                int pick = family[rng.NextBelow((ulong)family.Length)];
                return s with { Final = pick };
        }
    }
}
