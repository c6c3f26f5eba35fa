// A padded batch of encodings: input ids and attention masks of equal length (B, T).
namespace TuneSharp.Tokenizers;

/// <param name="InputIds">(B, T) ids, padded with the pad id.</param>
/// <param name="AttentionMask">(B, T): 1 for real tokens, 0 for padding.</param>
/// <param name="Lengths">Unpadded length of each row.</param>
public sealed record BatchEncoding(int[][] InputIds, int[][] AttentionMask, int[] Lengths);
