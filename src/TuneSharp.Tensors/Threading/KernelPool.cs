// One parallel-for for every kernel: a persistent spin-then-block pool sized to the cores; work is split statically.
namespace TuneSharp.Tensors.Threading;

/// <summary>
/// Static partitioning of an index range over the machine's cores. The calling thread runs chunk 0 and
/// <see cref="Threads"/> − 1 persistent workers run the others, so a fork/join costs a few microseconds
/// (Parallel.For costs tens). Idle workers spin briefly, then block, so they do not steal a shared CPU.
/// Calls made from inside a body, or while another thread owns the pool, run serially on the caller.
/// Kernels call this only when a call has enough work to pay for the fork/join (roughly &gt; 50k FLOPs per worker).
/// </summary>
public static class KernelPool
{
    // A worker spins this many rounds (~20-50 µs) on the generation counter before it sleeps on the monitor.
    private const int SpinRounds = 2000;

    private static int _threads = Math.Max(1, Environment.ProcessorCount);
    private static readonly object CallLock = new();
    private static readonly object WakeLock = new();
    private static Thread[] _workers = [];

    // The job in flight; written by the owner before _generation is bumped, read by workers after.
    private static Action<int, int>? _body;
    private static int _count, _chunks;
    private static long _generation;
    private static int _pending, _sleepers;
    private static Exception? _error;

    [ThreadStatic] private static bool _inside;

    /// <summary>Worker count used by kernels. Settable for benchmarks and tests (1 = serial).</summary>
    public static int Threads
    {
        get => _threads;
        set => _threads = Math.Max(1, value);
    }

    /// <summary>Runs <paramref name="body"/>(begin, end) on <see cref="Threads"/> contiguous chunks of [0, count).</summary>
    public static void For(int count, Action<int, int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        int chunks = Math.Min(_threads, count);
        if (chunks <= 1 || _inside || !Monitor.TryEnter(CallLock))
        {
            if (count > 0) RunSerial(count, body);
            return;
        }
        try
        {
            EnsureWorkers(chunks - 1);
            _body = body;
            _count = count;
            _chunks = chunks;
            _error = null;
            Volatile.Write(ref _pending, _workers.Length);
            lock (WakeLock)
            {
                _generation++;
                if (_sleepers > 0) Monitor.PulseAll(WakeLock);
            }
            _inside = true;
            try { RunChunk(0); }
            finally { _inside = false; }
            var spin = new SpinWait();
            while (Volatile.Read(ref _pending) != 0) spin.SpinOnce(sleep1Threshold: -1);
            _body = null;
            if (_error is { } error) throw new AggregateException("KernelPool body failed", error);
        }
        finally
        {
            Monitor.Exit(CallLock);
        }
    }

    private static void RunSerial(int count, Action<int, int> body)
    {
        bool outer = !_inside;
        _inside = true;
        try { body(0, count); }
        finally { if (outer) _inside = false; }
    }

    private static void RunChunk(int chunk)
    {
        int begin = (int)((long)_count * chunk / _chunks);
        int end = (int)((long)_count * (chunk + 1) / _chunks);
        if (end > begin) _body!(begin, end);
    }

    // Grows the pool (never shrinks); only called under CallLock.
    private static void EnsureWorkers(int needed)
    {
        if (_workers.Length >= needed) return;
        var grown = new Thread[needed];
        Array.Copy(_workers, grown, _workers.Length);
        long generation = Volatile.Read(ref _generation);
        for (int i = _workers.Length; i < needed; i++)
        {
            int chunk = i + 1;
            grown[i] = new Thread(() => WorkerLoop(chunk, generation))
            {
                IsBackground = true,
                Name = $"KernelPool-{chunk}",
            };
            grown[i].Start();
        }
        _workers = grown;
    }

    private static void WorkerLoop(int chunk, long seen)
    {
        _inside = true;
        for (;;)
        {
            int rounds = 0;
            long generation;
            while ((generation = Volatile.Read(ref _generation)) == seen)
            {
                if (++rounds < SpinRounds)
                {
                    Thread.SpinWait(20);
                    continue;
                }
                lock (WakeLock)
                {
                    _sleepers++;
                    while (_generation == seen) Monitor.Wait(WakeLock);
                    _sleepers--;
                }
            }
            seen = generation;
            if (chunk < _chunks)
            {
                try { RunChunk(chunk); }
                catch (Exception e) { Interlocked.CompareExchange(ref _error, e, null); }
            }
            Interlocked.Decrement(ref _pending);
        }
    }
}
