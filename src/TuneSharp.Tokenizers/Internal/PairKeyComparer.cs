// Hash for (left id << 32 | right id) keys: long.GetHashCode xors the halves, so pairs (a, b) with equal a ^ b collide
// en masse in a 280K-merge table; a multiplicative (Fibonacci) hash spreads them.
namespace TuneSharp.Tokenizers.Internal;

internal sealed class PairKeyComparer : IEqualityComparer<long>
{
    public static readonly PairKeyComparer Instance = new();

    public bool Equals(long x, long y) => x == y;

    public int GetHashCode(long key) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 32);
}
