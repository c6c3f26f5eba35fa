// Post-processor `ByteLevel`: only trims offsets in HF; ids are unchanged.
namespace TuneSharp.Tokenizers.PostProcessors;

internal sealed class PassThroughPostProcessor : PostProcessor
{
    public override void Process(List<int> ids, List<(int Start, int End)> offsets, List<bool> special, bool addSpecialTokens) { }
}
