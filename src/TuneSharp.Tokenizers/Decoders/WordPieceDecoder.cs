// Decoder `WordPiece`: glues "##" continuations, spaces other tokens, optional transformers-style cleanup.
namespace TuneSharp.Tokenizers.Decoders;

internal sealed class WordPieceDecoder(string prefix, bool cleanup) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens, List<bool> isAdded)
    {
        var r = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            if (i != 0)
            {
                if (t.StartsWith(prefix, StringComparison.Ordinal)) t = t[prefix.Length..];
                else t = " " + t;
            }
            if (cleanup) t = CleanUp(t);
            r.Add(t);
        }
        return r;
    }
}
