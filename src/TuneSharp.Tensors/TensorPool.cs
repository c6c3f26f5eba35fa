// One pool of byte arrays for all tensors, so the training loop does not churn the GC's large-object heap.
using System.Buffers;

namespace TuneSharp.Tensors;

/// <summary>Process-wide pool behind <see cref="ManagedStorage"/>; arrays may be larger than requested.</summary>
public static class TensorPool
{
    // ArrayPool.Shared caps the array size it keeps; a configurable pool holds the large activation buffers too.
    private static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(maxArrayLength: 1 << 30, maxArraysPerBucket: 1024);

    internal static byte[] Rent(int length) => length == 0 ? [] : Pool.Rent(length);

    internal static void Return(byte[] array)
    {
        if (array.Length > 0) Pool.Return(array);
    }
}
