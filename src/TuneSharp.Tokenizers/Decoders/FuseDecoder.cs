// Decoder `Fuse`: joins all tokens into one string.
namespace TuneSharp.Tokenizers.Decoders;

internal sealed class FuseDecoder : Decoder
{
    public override List<string> DecodeChain(List<string> tokens, List<bool> isAdded) => [string.Concat(tokens)];
}
