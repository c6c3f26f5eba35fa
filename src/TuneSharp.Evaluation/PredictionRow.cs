// One evaluated example: the model's prediction, its reference answer(s), and the question it answered.
namespace TuneSharp.Evaluation;

/// <param name="Index">0-based position in the input (a JSONL file's non-empty lines, or a predict step's rows).</param>
/// <param name="References">Zero or more references; metrics take the best over them.</param>
public sealed record PredictionRow(int Index, string Prediction, IReadOnlyList<string> References, string? Question = null, string? Id = null)
{
    public PredictionRow(int index, string prediction, string? reference, string? question = null)
        : this(index, prediction, reference is null ? [] : [reference], question) { }
}
