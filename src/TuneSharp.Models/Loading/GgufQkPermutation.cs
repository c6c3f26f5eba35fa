// Undoes (and redoes) the Q/K row permutation of llama.cpp convert_hf_to_gguf.py `permute`:
// w.reshape(n_head, 2, rows/n_head/2, cols).swapaxes(1, 2).reshape(rows, cols), with n_head = n_head_kv for K.
namespace TuneSharp.Models.Loading;

/// <summary>
/// HF's RoPE rotates pairs (j, j + d/2) of a head (rotate_half); llama.cpp's rotates adjacent pairs (2j, 2j+1), so
/// the converter interleaves the two halves of every head's rows: GGUF row h·d + 2i + s = HF row h·d + s·d/2 + i
/// (s ∈ {0, 1}, i &lt; d/2, d = rows / nHead). Rows are moved whole, so the same code handles F32 rows or rows of
/// quantized blocks (pass bytes with rowLength = bytes per row). Use nHead = num_attention_heads for attn_q and
/// num_key_value_heads for attn_k.
/// </summary>
public static class GgufQkPermutation
{
    /// <summary>dst (HF layout) ← src (GGUF layout); both (nHead·d, rowLength) row-major.</summary>
    public static void Unpermute<T>(ReadOnlySpan<T> src, Span<T> dst, int nHead, int rowLength)
        => Move(src, dst, nHead, rowLength, toGguf: false);

    /// <summary>dst (GGUF layout) ← src (HF layout), the converter's permute.</summary>
    public static void Permute<T>(ReadOnlySpan<T> src, Span<T> dst, int nHead, int rowLength)
        => Move(src, dst, nHead, rowLength, toGguf: true);

    private static void Move<T>(ReadOnlySpan<T> src, Span<T> dst, int nHead, int rowLength, bool toGguf)
    {
        if (nHead <= 0) throw new ArgumentOutOfRangeException(nameof(nHead), nHead, "must be positive");
        if (rowLength <= 0) throw new ArgumentOutOfRangeException(nameof(rowLength), rowLength, "must be positive");
        if (src.Length != dst.Length) throw new ArgumentException($"source has {src.Length} elements, destination {dst.Length}");
        if (src.Length % rowLength != 0) throw new ArgumentException($"length {src.Length} is not a multiple of the row length {rowLength}");
        int rows = src.Length / rowLength;
        if (rows % (2 * nHead) != 0) throw new ArgumentException($"{rows} rows cannot be split into {nHead} heads of even size");
        if (src.Overlaps(dst)) throw new ArgumentException("source and destination must not overlap");
        int d = rows / nHead, half = d / 2;
        for (int h = 0; h < nHead; h++)
            for (int s = 0; s < 2; s++)
                for (int i = 0; i < half; i++)
                {
                    int hfRow = h * d + s * half + i;
                    int ggufRow = h * d + 2 * i + s;
                    int from = toGguf ? hfRow : ggufRow, to = toGguf ? ggufRow : hfRow;
                    src.Slice(from * rowLength, rowLength).CopyTo(dst.Slice(to * rowLength, rowLength));
                }
    }
}
