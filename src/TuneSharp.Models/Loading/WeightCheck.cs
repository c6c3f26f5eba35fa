// Result of matching a checkpoint's tensor names and shapes against what a config expects.
namespace TuneSharp.Models.Loading;

/// <summary>
/// Every problem found at once, plus where each expected tensor comes from (tied weights may be stored under the
/// other name). <see cref="Sources"/> maps expected name → name present in the checkpoint.
/// </summary>
public sealed class WeightCheck
{
    internal WeightCheck(IReadOnlyDictionary<string, string> sources, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected,
        IReadOnlyList<string> misshaped, IReadOnlyList<string> ignored)
    {
        Sources = sources;
        Missing = missing;
        Unexpected = unexpected;
        Misshaped = misshaped;
        Ignored = ignored;
    }

    /// <summary>Expected name → checkpoint name holding its data (differs only for tied embeddings).</summary>
    public IReadOnlyDictionary<string, string> Sources { get; }

    public IReadOnlyList<string> Missing { get; }

    public IReadOnlyList<string> Unexpected { get; }

    /// <summary>"name: expected [a, b], found [c, d]" lines.</summary>
    public IReadOnlyList<string> Misshaped { get; }

    /// <summary>Known-unused checkpoint tensors (e.g. old rotary_emb.inv_freq buffers) that were skipped.</summary>
    public IReadOnlyList<string> Ignored { get; }

    public bool IsValid => Missing.Count == 0 && Unexpected.Count == 0 && Misshaped.Count == 0;

    /// <summary>Throws one <see cref="InvalidDataException"/> listing every missing, unexpected and mis-shaped tensor.</summary>
    public void ThrowIfInvalid(string source)
    {
        if (IsValid) return;
        var lines = new List<string> { $"{source}: checkpoint does not match the config" };
        if (Missing.Count > 0) lines.Add($"  missing ({Missing.Count}): {Summarize(Missing)}");
        if (Unexpected.Count > 0) lines.Add($"  unexpected ({Unexpected.Count}): {Summarize(Unexpected)}");
        foreach (var m in Misshaped.Take(20)) lines.Add("  wrong shape: " + m);
        if (Misshaped.Count > 20) lines.Add($"  … and {Misshaped.Count - 20} more with a wrong shape");
        throw new InvalidDataException(string.Join(Environment.NewLine, lines));
    }

    private static string Summarize(IReadOnlyList<string> names) =>
        names.Count <= 12 ? string.Join(", ", names) : string.Join(", ", names.Take(12)) + $", … ({names.Count - 12} more)";
}
