// One input row made ready for generation: prompt ids, the text shown as its question, and its reference answer(s).
namespace TuneSharp.Evaluation.Prediction;

/// <param name="Index">0-based position among the input file's non-empty lines.</param>
/// <param name="Key">What resume matches on: the row's "id" when it has one, else its index.</param>
/// <param name="References">Reference answers from "reference(s)", else the trained response column (output, completion, the last assistant turn).</param>
public sealed record PredictionPrompt(int Index, string Key, string? Id, int[] PromptIds, string? Question, IReadOnlyList<string> References);
