// Which side of a row gets padding (or loses tokens when truncating).
namespace TuneSharp.Tokenizers;

public enum PaddingSide
{
    Right,
    Left,
}
