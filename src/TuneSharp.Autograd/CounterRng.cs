// Counter-based random bits (keyed murmur3 fmix32 over the element index): any element's draw is recomputable and SIMD-friendly.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TuneSharp.Autograd;

/// <summary>
/// Stateless RNG: the draw for (key, index) is a pure function, so dropout masks need not be saved — backward and a
/// checkpoint's recomputed forward regenerate them bit for bit. The stream key mixes (seed, stream) with SplitMix64
/// (Steele, Lea, Flood 2014); per element, a Weyl sequence over the index goes through murmur3's fmix32 and a second
/// keyed round — 32-bit multiplies only, so <see cref="Bits(Vector256{uint}, ulong)"/> runs eight lanes at once.
/// </summary>
public static class CounterRng
{
    /// <summary>The key of one random stream.</summary>
    public static ulong Key(ulong seed, ulong stream) => Mix64(Mix64(seed + 0x9E3779B97F4A7C15UL) ^ (stream * 0xD1B54A32D192ED03UL + 0x632BE59BD9B4E019UL));

    /// <summary>32 random bits for element <paramref name="index"/> of stream <paramref name="key"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Bits(uint index, ulong key)
    {
        uint h = index * 0x9E3779B9u + (uint)key;
        h ^= h >> 16; h *= 0x85EBCA6Bu;
        h ^= h >> 13; h *= 0xC2B2AE35u;
        h ^= h >> 16;
        h ^= (uint)(key >> 32); h *= 0x27D4EB2Fu;
        return h ^ (h >> 15);
    }

    /// <summary>Eight lanes of <see cref="Bits(uint, ulong)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> Bits(Vector256<uint> index, ulong key)
    {
        var h = index * Vector256.Create(0x9E3779B9u) + Vector256.Create((uint)key);
        h ^= Vector256.ShiftRightLogical(h, 16); h *= Vector256.Create(0x85EBCA6Bu);
        h ^= Vector256.ShiftRightLogical(h, 13); h *= Vector256.Create(0xC2B2AE35u);
        h ^= Vector256.ShiftRightLogical(h, 16);
        h ^= Vector256.Create((uint)(key >> 32)); h *= Vector256.Create(0x27D4EB2Fu);
        return h ^ Vector256.ShiftRightLogical(h, 15);
    }

    /// <summary>Uniform in [0, 1) with 24 random bits.</summary>
    public static float Uniform(uint index, ulong key) => (Bits(index, key) >> 8) * (1f / (1 << 24));

    private static ulong Mix64(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
