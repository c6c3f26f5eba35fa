// Completion-only labels from response/instruction markers matched on token ids: TRL's
// DataCollatorForCompletionOnlyLM.torch_call (trl/trainer/utils.py, v0.8–v0.11), one unpadded row at a time.
namespace TuneSharp.Data.Formatting;

/// <summary>
/// Without an instruction marker: everything up to and including the LAST occurrence of the response marker is −100.
/// With one (multi-turn): each span from an instruction marker's start to the end of the next response marker is −100,
/// and a trailing instruction with no response after it is masked to the end. A row where a marker is missing gets
/// all labels −100 (TRL warns "Could not find response key …"); <see cref="Result"/> says which one was missing.
/// Matching is on ids, never text, so a marker that tokenizes differently in context is not found; pass its in-context
/// ids instead (<see cref="ResponseMarker"/>).
/// </summary>
public sealed class CompletionOnlyMasker(ResponseMarker response, ResponseMarker? instruction = null)
{
    public const int IgnoreIndex = FormattedExample.IgnoreIndex;

    public ResponseMarker Response { get; } = response ?? throw new ArgumentNullException(nameof(response));

    public ResponseMarker? Instruction { get; } = instruction;

    public readonly record struct Result(int[] Labels, bool ResponseFound, bool InstructionFound);

    /// <summary>Labels for <paramref name="inputIds"/> (which are not modified).</summary>
    public Result Mask(ReadOnlySpan<int> inputIds)
    {
        var labels = inputIds.ToArray();
        var r = Response.Ids;
        if (Instruction is null)
        {
            int start = -1;
            foreach (int idx in Matches(labels, r)) start = idx; // the last match wins, as in TRL
            if (start < 0)
            {
                Array.Fill(labels, IgnoreIndex);
                return new Result(labels, false, true);
            }
            labels.AsSpan(0, start + r.Length).Fill(IgnoreIndex);
            return new Result(labels, true, true);
        }

        // Indices are collected before any masking, on the unmasked row (TRL searches batch["labels"] before writing).
        var responseEnds = Matches(labels, r).Select(i => i + r.Length).ToList();
        var humanStarts = Matches(labels, Instruction.Ids).ToList();
        // TRL searches for the instruction after blanking a row without response, so then it reports both missing.
        bool responseFound = responseEnds.Count > 0, instructionFound = responseFound && humanStarts.Count > 0;
        if (!responseFound || !instructionFound) Array.Fill(labels, IgnoreIndex);
        if (humanStarts.Count > 0 && responseEnds.Count > 0 && humanStarts[0] > responseEnds[0]) humanStarts.Insert(0, 0);
        int pairs = Math.Min(humanStarts.Count, responseEnds.Count);
        for (int k = 0; k < pairs; k++)
        {
            int start = k == 0 ? 0 : humanStarts[k], end = responseEnds[k];
            if (end > start) labels.AsSpan(start, end - start).Fill(IgnoreIndex);
        }
        if (responseEnds.Count < humanStarts.Count) labels.AsSpan(humanStarts[^1]).Fill(IgnoreIndex);
        return new Result(labels, responseFound, instructionFound);
    }

    /// <summary>Start indices where <paramref name="marker"/> occurs in <paramref name="ids"/> (overlapping matches included).</summary>
    public static IEnumerable<int> Matches(int[] ids, int[] marker)
    {
        for (int i = 0; i + marker.Length <= ids.Length; i++)
            if (ids[i] == marker[0] && ids.AsSpan(i, marker.Length).SequenceEqual(marker)) yield return i;
    }
}
