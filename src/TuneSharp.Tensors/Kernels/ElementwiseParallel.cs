// Splits a flat or row range over KernelPool workers once a call is big enough to pay for the fork/join.
using TuneSharp.Tensors.Threading;

namespace TuneSharp.Tensors.Kernels;

/// <summary>
/// Shared chunking for the memory-bound kernels in this folder (elementwise, activations, norms, softmax, rope,
/// embedding). Chunk borders are multiples of 64 elements so every worker but the last runs whole vectors.
/// Bodies receive (begin, end); kernels capture pinned pointers as <c>nint</c> because spans cannot be captured.
/// </summary>
internal static class ElementwiseParallel
{
    /// <summary>Elements a worker should get at least (≈ 128 KiB of float traffic) before splitting pays.</summary>
    internal const int MinElementsPerWorker = 1 << 15;

    /// <summary>Runs body over [0, count) in aligned chunks, serially when count·costPerItem is small.</summary>
    internal static void For(int count, long costPerItem, Action<int, int> body)
    {
        long total = count * Math.Max(1, costPerItem);
        int workers = (int)Math.Min(KernelPool.Threads, total / MinElementsPerWorker);
        workers = Math.Min(workers, count);
        if (workers <= 1)
        {
            if (count > 0) body(0, count);
            return;
        }
        // Align chunk borders to 64 items when items are single elements (costPerItem == 1), so vector loops stay whole.
        int align = costPerItem == 1 ? 64 : 1;
        KernelPool.For(workers, (w0, w1) =>
        {
            for (int w = w0; w < w1; w++)
            {
                int begin = Align((int)((long)count * w / workers), align, count);
                int end = Align((int)((long)count * (w + 1) / workers), align, count);
                if (w == workers - 1) end = count;
                if (end > begin) body(begin, end);
            }
        });
    }

    private static int Align(int i, int align, int count) => Math.Min(count, i / align * align);
}
