// KernelPool: every index covered exactly once, nested and concurrent calls, exception propagation.
using TuneSharp.Tensors.Threading;

namespace TuneSharp.Tensors.Tests;

[Collection(GemmCollection.Name)]
public sealed class KernelPoolTests
{
    [Fact]
    public void CoversEveryIndexExactlyOnce()
    {
        int saved = KernelPool.Threads;
        try
        {
            foreach (int threads in new[] { 1, 2, 3, 5 })
            {
                KernelPool.Threads = threads;
                for (int count = 0; count <= 40; count++)
                {
                    var hits = new int[count];
                    int calls = 0;
                    KernelPool.For(count, (b, e) =>
                    {
                        Interlocked.Increment(ref calls);
                        for (int i = b; i < e; i++) Interlocked.Increment(ref hits[i]);
                    });
                    Assert.All(hits, h => Assert.Equal(1, h));
                    Assert.True(calls <= Math.Max(1, Math.Min(threads, count)), $"threads={threads} count={count}: {calls} chunks");
                }
            }
        }
        finally
        {
            KernelPool.Threads = saved;
        }
    }

    [Fact]
    public async Task NestedAndConcurrentCallsComplete()
    {
        int saved = KernelPool.Threads;
        try
        {
            KernelPool.Threads = 2;
            long total = 0;
            var callers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            {
                for (int rep = 0; rep < 200; rep++)
                    KernelPool.For(8, (b, e) =>
                    {
                        for (int i = b; i < e; i++)
                            KernelPool.For(3, (b2, e2) => Interlocked.Add(ref total, e2 - b2));
                    });
            })).ToArray();
            await Task.WhenAll(callers);
            Assert.Equal(4L * 200 * 8 * 3, total);
        }
        finally
        {
            KernelPool.Threads = saved;
        }
    }

    [Fact]
    public void ExceptionInAWorkerReachesTheCaller()
    {
        int saved = KernelPool.Threads;
        try
        {
            KernelPool.Threads = 2;
            var e = Assert.Throws<AggregateException>(() => KernelPool.For(10, (b, _) =>
            {
                if (b > 0) throw new InvalidOperationException("boom");
            }));
            Assert.IsType<InvalidOperationException>(e.InnerException);
            // The pool still works afterwards.
            int sum = 0;
            KernelPool.For(10, (b, e2) => Interlocked.Add(ref sum, e2 - b));
            Assert.Equal(10, sum);
        }
        finally
        {
            KernelPool.Threads = saved;
        }
    }
}
