// Decoder `Metaspace`: "▁" → space, dropping the prefix space of the first token when a prefix was added.
namespace TuneSharp.Tokenizers.Decoders;

internal sealed class MetaspaceDecoder(char replacement, bool stripPrefix) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens, List<bool> isAdded)
    {
        var r = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i].Replace(replacement, ' ');
            if (i == 0 && stripPrefix && t.StartsWith(' ')) t = t[1..];
            r.Add(t);
        }
        return r;
    }
}
