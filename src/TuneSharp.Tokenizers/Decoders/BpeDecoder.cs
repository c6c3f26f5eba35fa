// Decoder `BPEDecoder`: end-of-word suffix → space (none after the last token).
namespace TuneSharp.Tokenizers.Decoders;

internal sealed class BpeDecoder(string suffix) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens, List<bool> isAdded) =>
        tokens.Select((t, i) => t.Replace(suffix, i == tokens.Count - 1 ? "" : " ")).ToList();
}
