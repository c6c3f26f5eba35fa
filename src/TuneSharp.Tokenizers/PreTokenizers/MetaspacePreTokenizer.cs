// Pre-tokenizer `Metaspace` (SentencePiece): spaces → "▁", prefix "▁" per prepend_scheme, optional split before each "▁".
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.PreTokenizers;

/// <param name="prependUnconditionally">llama.cpp's SPM adds the space prefix even when the text already starts with one.</param>
internal sealed class MetaspacePreTokenizer(char replacement, PrependScheme scheme, bool split, bool prependUnconditionally = false) : PreTokenizer
{
    public char Replacement => replacement;
    public PrependScheme Scheme => scheme;

    public static MetaspacePreTokenizer FromJson(JsonNode n)
    {
        var rep = n.OptString("replacement") ?? "\u2581";
        if (rep.Length != 1) throw new TokenizerFormatException("Metaspace replacement must be one character", n.File, n.Path + ".replacement");
        PrependScheme scheme;
        if (n.OptString("prepend_scheme") is { } ps)
        {
            scheme = ps switch
            {
                "always" => PrependScheme.Always,
                "first" => PrependScheme.First,
                "never" => PrependScheme.Never,
                _ => throw new TokenizerFormatException($"prepend_scheme '{ps}' is not supported", n.File, n.Path + ".prepend_scheme"),
            };
        }
        else scheme = n.OptBool("add_prefix_space", true) ? PrependScheme.Always : PrependScheme.Never;
        return new MetaspacePreTokenizer(rep[0], scheme, n.OptBool("split", true));
    }

    public override void Split(Piece piece, List<Piece> output, int sectionIndex)
    {
        var p = ReplaceSpaces(piece);
        bool prepend = scheme == PrependScheme.Always || (scheme == PrependScheme.First && sectionIndex == 0);
        if (prepend && (prependUnconditionally || !p.Text.StartsWith(replacement)) && p.Text.Length > 0)
        {
            if (p.Tracked)
            {
                var b = new PieceBuilder(p.Text.Length + 1, true);
                b.Append(replacement, p.Starts![0], p.Starts![0]);
                b.AppendFrom(p, 0, p.Text.Length);
                p = b.Build();
            }
            else p = new Piece(replacement + p.Text, null, null);
        }
        if (!split) { output.Add(p); return; }
        var m = new List<(int, int)>();
        for (int i = 0; i < p.Text.Length; i++) if (p.Text[i] == replacement) m.Add((i, 1));
        Splitter.Split(p, m, SplitBehavior.MergedWithNext, false, output);
    }

    private Piece ReplaceSpaces(Piece p)
    {
        if (p.Text.IndexOf(' ') < 0) return p;
        return new Piece(p.Text.Replace(' ', replacement), p.Starts, p.Ends);
    }
}
