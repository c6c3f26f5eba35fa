// What a splitting pre-tokenizer does with the delimiters it finds (HF SplitDelimiterBehavior).
namespace TuneSharp.Tokenizers.PreTokenizers;

internal enum SplitBehavior
{
    Removed,
    Isolated,
    MergedWithPrevious,
    MergedWithNext,
    Contiguous,
}
