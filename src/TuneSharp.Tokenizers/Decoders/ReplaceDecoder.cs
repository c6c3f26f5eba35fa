// Decoder `Replace`: replaces a pattern in every token.
using TuneSharp.Tokenizers.Internal;
using TuneSharp.Tokenizers.Normalizers;

namespace TuneSharp.Tokenizers.Decoders;

internal sealed class ReplaceDecoder(TextPattern pattern, string content) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens, List<bool> isAdded) =>
        tokens.Select(t => ReplaceNormalizer.Apply(pattern, content, new Piece(t, null, null)).Text).ToList();
}
