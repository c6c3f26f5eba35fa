// Reproducible permutations from a 64-bit seed (SplitMix64 + Fisher–Yates), identical on every platform.
namespace TuneSharp.Data;

public static class SeededPermutation
{
    public static int[] Create(int count, ulong seed)
    {
        var order = Enumerable.Range(0, count).ToArray();
        var rng = new SplitMix64(seed);
        for (int i = count - 1; i > 0; i--)
        {
            int j = (int)rng.NextBelow((ulong)i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
