// Post-processor `Sequence`: applies each processor in order.
namespace TuneSharp.Tokenizers.PostProcessors;

internal sealed class SequencePostProcessor(PostProcessor[] items) : PostProcessor
{
    public override void Process(List<int> ids, List<(int Start, int End)> offsets, List<bool> special, bool addSpecialTokens)
    {
        foreach (var p in items) p.Process(ids, offsets, special, addSpecialTokens);
    }
}
