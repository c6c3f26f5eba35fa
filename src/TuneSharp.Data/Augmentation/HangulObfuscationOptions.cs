// Rates of each obfuscation technique (probability per eligible syllable).
namespace TuneSharp.Data.Augmentation;

public sealed record HangulObfuscationOptions
{
    /// <summary>Add a random final consonant to a syllable that has none (아 → 앙).</summary>
    public double FinalInsertionRate { get; init; } = 0.3;

    /// <summary>Move a final consonant onto a following ㅇ initial, as pronounced (음식이 → 음시기).</summary>
    public double LiaisonRate { get; init; } = 0.5;

    /// <summary>Swap a jamo for a similar-sounding one (ㅐ↔ㅔ, ㄱ↔ㄲ, finals ㄷ/ㅅ/ㅈ/ㅊ/ㅌ …).</summary>
    public double SimilarJamoRate { get; init; } = 0.2;

    public void Validate()
    {
        foreach (var (name, rate) in new[] { ("final_insertion_rate", FinalInsertionRate), ("liaison_rate", LiaisonRate), ("similar_jamo_rate", SimilarJamoRate) })
            if (!(rate >= 0 && rate <= 1)) throw new DataFormatException($"must be a probability in [0, 1], got {rate}", field: name);
    }
}
