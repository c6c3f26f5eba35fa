// Bridge from the Data layer's formatted rows to the trainer's TokenizedExample (labels keep their −100 masks).
using TuneSharp.Data.Formatting;
using TuneSharp.Training.Sft;

namespace TuneSharp.Training.Formatting;

public static class FormattedData
{
    /// <summary>Drops attention-mask padding (formatted rows are unpadded) and keeps ids and labels.</summary>
    public static List<TokenizedExample> ToTokenized(IEnumerable<FormattedExample> rows) =>
        rows.Select(r => new TokenizedExample(r.InputIds, r.Labels)).ToList();
}
