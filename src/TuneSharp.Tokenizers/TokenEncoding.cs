// The result of encoding one text: ids, the original character range of each token, and which ids are special.
namespace TuneSharp.Tokenizers;

/// <param name="Ids">Token ids.</param>
/// <param name="Offsets">[Start, End) in UTF-16 chars of the input for each token ((0,0) for inserted special tokens).</param>
/// <param name="SpecialTokensMask">True where the post-processor inserted the token.</param>
public sealed record TokenEncoding(int[] Ids, (int Start, int End)[] Offsets, bool[] SpecialTokensMask);
