// When Metaspace adds the "▁" prefix: always, only on the first section of the input, or never.
namespace TuneSharp.Tokenizers.PreTokenizers;

internal enum PrependScheme
{
    Always,
    First,
    Never,
}
