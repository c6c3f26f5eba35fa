// Hangul syllable (de)composition per Unicode 15 §3.12: S = 0xAC00 + (L·21 + V)·28 + T.
namespace TuneSharp.Data.Augmentation;

/// <summary>A precomposed Hangul syllable split into initial (L 0..18), medial (V 0..20) and final (T 0..27, 0 = none).</summary>
public readonly record struct HangulSyllable(int Initial, int Medial, int Final)
{
    public const int SyllableBase = 0xAC00, SyllableCount = 11172;
    public const int InitialCount = 19, MedialCount = 21, FinalCount = 28;

    public static bool IsSyllable(char c) => c >= SyllableBase && c < SyllableBase + SyllableCount;

    public static HangulSyllable Decompose(char c)
    {
        if (!IsSyllable(c)) throw new ArgumentException($"U+{(int)c:X4} is not a precomposed Hangul syllable", nameof(c));
        int index = c - SyllableBase;
        return new HangulSyllable(index / (MedialCount * FinalCount), index % (MedialCount * FinalCount) / FinalCount, index % FinalCount);
    }

    public char Compose() => (char)(SyllableBase + (Initial * MedialCount + Medial) * FinalCount + Final);

    // Initial-consonant index → the final-consonant index of the same letter (−1 where a letter cannot be a final).
    private static readonly int[] InitialToFinal = [1, 2, 4, 7, -1, 8, 16, 17, -1, 19, 20, 21, 22, -1, 23, 24, 25, 26, 27];

    /// <summary>The final-consonant index for an initial-consonant index, or −1 (ㄸ, ㅃ, ㅉ are never finals).</summary>
    public static int FinalOfInitial(int initial) => InitialToFinal[initial];

    /// <summary>
    /// For liaison (연음): a final consonant that moves to the next syllable's empty (ㅇ) initial. Returns the
    /// remaining final and the moved initial; compound finals (ㄺ, ㄳ, …) keep their first part.
    /// </summary>
    public static (int RemainingFinal, int MovedInitial)? SplitForLiaison(int final) => final switch
    {
        1 => (0, 0),    // ㄱ
        2 => (0, 1),    // ㄲ
        3 => (1, 9),    // ㄳ → ㄱ + ㅅ
        4 => (0, 2),    // ㄴ
        5 => (4, 12),   // ㄵ → ㄴ + ㅈ
        6 => null,      // ㄶ: ㅎ drops before ㅇ; not a liaison case we generate
        7 => (0, 3),    // ㄷ
        8 => (0, 5),    // ㄹ
        9 => (8, 0),    // ㄺ → ㄹ + ㄱ
        10 => (8, 6),   // ㄻ → ㄹ + ㅁ
        11 => (8, 7),   // ㄼ → ㄹ + ㅂ
        12 => (8, 9),   // ㄽ → ㄹ + ㅅ
        13 => (8, 16),  // ㄾ → ㄹ + ㅌ
        14 => (8, 17),  // ㄿ → ㄹ + ㅍ
        15 => null,     // ㅀ
        16 => (0, 6),   // ㅁ
        17 => (0, 7),   // ㅂ
        18 => (17, 9),  // ㅄ → ㅂ + ㅅ
        19 => (0, 9),   // ㅅ
        20 => (0, 10),  // ㅆ
        21 => null,     // ㅇ stays (it is silent as an initial)
        22 => (0, 12),  // ㅈ
        23 => (0, 14),  // ㅊ
        24 => (0, 15),  // ㅋ
        25 => (0, 16),  // ㅌ
        26 => (0, 17),  // ㅍ
        27 => null,     // ㅎ
        _ => null,
    };
}
