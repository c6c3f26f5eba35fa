// A [Start, End) character span of assistant text in a rendered conversation, with the index of the message it belongs to (-1 when unknown).
namespace TuneSharp.Tokenizers;

public readonly record struct ChatTemplateSpan(int Start, int End, int MessageIndex)
{
    public int Length => End - Start;
}
