// One parallel-for for every kernel, sized to the machine's cores; work is split statically.
namespace TuneSharp.Tensors.Threading;

/// <summary>
/// Static partitioning of an index range over the machine's cores. Kernels call this only when a
/// call has enough work to pay for the fork/join (roughly &gt; 50k FLOPs per worker).
/// </summary>
public static class KernelPool
{
    private static int _threads = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Worker count used by kernels. Settable for benchmarks and tests (1 = serial).</summary>
    public static int Threads
    {
        get => _threads;
        set => _threads = Math.Max(1, value);
    }

    /// <summary>Runs <paramref name="body"/>(begin, end) on <see cref="Threads"/> contiguous chunks of [0, count).</summary>
    public static void For(int count, Action<int, int> body)
    {
        int workers = Math.Min(_threads, count);
        if (workers <= 1)
        {
            if (count > 0) body(0, count);
            return;
        }
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            int begin = (int)((long)count * w / workers);
            int end = (int)((long)count * (w + 1) / workers);
            if (end > begin) body(begin, end);
        });
    }
}
