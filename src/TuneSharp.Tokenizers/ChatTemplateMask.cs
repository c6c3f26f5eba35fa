// Pure span → token mapping for assistant-only loss: a token is 1 when its [start, end) characters overlap an assistant span
// (what transformers' return_assistant_tokens_mask computes via char_to_token); zero-width tokens (added BOS etc.) are 0.
namespace TuneSharp.Tokenizers;

public static class ChatTemplateMask
{
    /// <summary>tokenOffsets: per token (start, end) character offsets into the rendered text → mask[i] ∈ {0, 1}.</summary>
    public static byte[] TokenMask(ReadOnlySpan<(int Start, int End)> tokenOffsets, IReadOnlyList<ChatTemplateSpan> spans)
    {
        ArgumentNullException.ThrowIfNull(spans);
        var sorted = spans.Where(s => s.End > s.Start).OrderBy(s => s.Start).ToArray();
        var starts = sorted.Select(s => s.Start).ToArray();
        // Prefix maximum of span ends, so overlapping spans are handled by one binary search.
        var maxEnd = new int[sorted.Length];
        for (int i = 0; i < sorted.Length; i++) maxEnd[i] = Math.Max(sorted[i].End, i > 0 ? maxEnd[i - 1] : int.MinValue);
        var mask = new byte[tokenOffsets.Length];
        for (int t = 0; t < tokenOffsets.Length; t++)
        {
            var (s, e) = tokenOffsets[t];
            if (e <= s) continue;
            // Last span whose start is < e; any overlapping span has start < e, and the best candidate has the largest end.
            int idx = LowerBound(starts, e) - 1;
            if (idx >= 0 && maxEnd[idx] > s) mask[t] = 1;
        }
        return mask;
    }

    /// <summary>First index i with values[i] >= target (values ascending).</summary>
    private static int LowerBound(int[] values, int target)
    {
        int lo = 0, hi = values.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (values[mid] < target) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>Convenience for labels: copies inputIds and writes ignoreIndex (-100) wherever the mask is 0.</summary>
    public static int[] MaskLabels(ReadOnlySpan<int> inputIds, ReadOnlySpan<byte> mask, int ignoreIndex = -100)
    {
        if (inputIds.Length != mask.Length) throw new ArgumentException($"inputIds ({inputIds.Length}) and mask ({mask.Length}) differ in length");
        var labels = new int[inputIds.Length];
        for (int i = 0; i < labels.Length; i++) labels[i] = mask[i] != 0 ? inputIds[i] : ignoreIndex;
        return labels;
    }
}
