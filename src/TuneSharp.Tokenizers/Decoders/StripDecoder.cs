// Decoder `Strip`: removes up to `start` leading and `stop` trailing `content` characters from each token.
namespace TuneSharp.Tokenizers.Decoders;

internal sealed class StripDecoder(char content, int start, int stop) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens, List<bool> isAdded)
    {
        var r = new List<string>(tokens.Count);
        foreach (var t in tokens)
        {
            int a = 0;
            while (a < start && a < t.Length && t[a] == content) a++;
            int b = t.Length;
            while (t.Length - b < stop && b > a && t[b - 1] == content) b--;
            r.Add(t[a..b]);
        }
        return r;
    }
}
