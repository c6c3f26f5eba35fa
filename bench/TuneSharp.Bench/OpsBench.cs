// Benchmark mode `ops`: flash attention forward+backward and the fused chunked LM head + cross-entropy, with memory
// used next to what a naive (T, T) / (N, V) implementation would need.
using System.Diagnostics;
using System.Globalization;
using TuneSharp.Tensors;
using TuneSharp.Tensors.Kernels;
using TuneSharp.Tensors.Threading;

namespace TuneSharp.Bench;

/// <summary>
/// usage: ops [--threads N] [--t 512,1024,2048] [--vocab 49152] [--tokens 1024] [--skip-ce] [--skip-attention]
/// Attention: SmolLM2-135M heads (nh 9, nkv 3, hs 64), B = 1, causal. LM head: N tokens, C = 576, V = 49152.
/// </summary>
[BenchMode("ops")]
public static class OpsBench
{
    public static int Run(string[] args)
    {
        if (BenchUtil.Option(args, "--threads") is { } threads) KernelPool.Threads = int.Parse(threads, CultureInfo.InvariantCulture);
        var lengths = (BenchUtil.Option(args, "--t") ?? "512,1024,2048").Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        int vocab = int.Parse(BenchUtil.Option(args, "--vocab") ?? "49152", CultureInfo.InvariantCulture);
        int tokens = int.Parse(BenchUtil.Option(args, "--tokens") ?? "1024", CultureInfo.InvariantCulture);
        Console.WriteLine($"ops bench: threads={KernelPool.Threads} cores={Environment.ProcessorCount} avx512={System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}");
        if (!BenchUtil.HasFlag(args, "--skip-attention"))
        {
            foreach (int t in lengths) AttentionTraining(t);
            AttentionDecode(2048);
        }
        if (!BenchUtil.HasFlag(args, "--skip-ce"))
        {
            LmHead(tokens, 576, vocab, DType.BF16);
            LmHead(tokens, 576, vocab, DType.F32);
        }
        Console.WriteLine($"process peak RSS (VmHWM): {Mb(VmHwmBytes())}");
        return 0;
    }

    private static void AttentionTraining(int t)
    {
        var s = new AttentionShape(1, t, t, 9, 3, 64);
        var q = BenchUtil.RandomArray((int)s.QueryElements, 1);
        var k = BenchUtil.RandomArray((int)s.KvElements, 2);
        var v = BenchUtil.RandomArray((int)s.KvElements, 3);
        var dO = BenchUtil.RandomArray((int)s.QueryElements, 4);
        var o = new float[s.QueryElements];
        var lse = new float[s.LseElements];
        var dq = new float[s.QueryElements];
        var dk = new float[s.KvElements];
        var dv = new float[s.KvElements];
        Attention.Forward(s, q, k, v, default, o, lse); // warm-up and pool fill
        Attention.Backward(s, q, k, v, default, o, lse, dO, dq, dk, dv);

        long alloc0 = GC.GetTotalAllocatedBytes(precise: true);
        var (fwd, _) = BenchUtil.Time(() => Attention.Forward(s, q, k, v, default, o, lse), minReps: 3, minSeconds: 0.5);
        var (bwd, _) = BenchUtil.Time(() => Attention.Backward(s, q, k, v, default, o, lse, dO, dq, dk, dv), minReps: 3, minSeconds: 0.5);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - alloc0;

        // Causal: half the (T, T) products. Forward 2 GEMM-like products (QKᵀ, PV), backward 5 (QKᵀ, dOVᵀ, PᵀdO, dSᵀQ, dSK).
        double pairs = (double)t * (t + 1) / 2 * s.Heads * s.HeadSize;
        double fwdFlop = 2 * 2 * pairs, bwdFlop = 5 * 2 * pairs;
        long naive = 2L * s.Heads * t * t * sizeof(float); // scores + probabilities per head, kept for backward
        int rows = Math.Max(4, 96 / s.GroupSize / 4 * 4) * s.GroupSize;
        long tile = (4L * rows * 64 + 3L * rows * 64 + 5L * 64 * 64) * sizeof(float) * KernelPool.Threads; // backward scratch, all workers
        long saved = (s.LseElements + s.QueryElements * (KernelPool.Threads - 1)) * sizeof(float);   // lse + private dq copies
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"attention T={t,5} nh=9 nkv=3 hs=64: fwd {fwd * 1e3,8:F2} ms ({fwdFlop / fwd / 1e9,5:F1} GFLOP/s)  bwd {bwd * 1e3,8:F2} ms ({bwdFlop / bwd / 1e9,5:F1} GFLOP/s)  " +
            $"fwd+bwd {t / (fwd + bwd),9:F0} tok/s | memory: naive (T,T) {Mb(naive)} vs tiles {Mb(tile)} + lse/dq {Mb(saved)}; managed allocated during timing {Mb(allocated)}"));
    }

    private static void AttentionDecode(int tk)
    {
        var s = new AttentionShape(1, 1, tk, 9, 3, 64) { KvCapacity = tk + 256 };
        var q = BenchUtil.RandomArray((int)s.QueryElements, 5);
        var k = BenchUtil.RandomArray((int)s.KvElements, 6);
        var v = BenchUtil.RandomArray((int)s.KvElements, 7);
        var o = new float[s.QueryElements];
        var (best, _) = BenchUtil.Time(() => Attention.Forward(s, q, k, v, default, o, default), minReps: 20, minSeconds: 0.3, maxReps: 2000);
        double bytes = 2.0 * tk * s.KvHeads * s.HeadSize * sizeof(float);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"attention decode Tq=1 Tk={tk} (cache capacity {s.KvCapacity}): {best * 1e6,8:F1} µs/step ({bytes / best / 1e9:F1} GB/s of K/V read)"));
    }

    private static void LmHead(int n, int c, int v, DType dtype)
    {
        var hidden = BenchUtil.RandomArray(n * c, 8);
        var wf = BenchUtil.RandomArray(v * c, 9);
        for (int i = 0; i < wf.Length; i++) wf[i] *= 0.05f;
        var rng = new Random(10);
        var labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = i % 10 == 0 ? LmHeadCrossEntropy.IgnoreIndex : rng.Next(v);
        float scale = LmHeadCrossEntropy.GradScaleForMean(LmHeadCrossEntropy.CountTargets(labels));
        var dh = new float[n * c];
        // BF16: a frozen tied embedding (LoRA), so no dW. F32: a trainable head, dW accumulated.
        var dw = dtype == DType.F32 ? new float[v * c] : [];
        var wb = dtype == DType.BF16 ? Array.ConvertAll(wf, x => (BFloat16)x) : [];
        LmHeadCrossEntropyResult result = default;
        Action step = dtype == DType.BF16
            ? () => result = LmHeadCrossEntropy.ForwardBackward(hidden, wb, labels, dh, dw, n, c, v, scale)
            : () => result = LmHeadCrossEntropy.ForwardBackward(hidden, wf, labels, dh, dw, n, c, v, scale);
        Action eval = dtype == DType.BF16
            ? () => LmHeadCrossEntropy.Forward(hidden, wb, labels, n, c, v)
            : () => LmHeadCrossEntropy.Forward(hidden, wf, labels, n, c, v);
        step();
        long alloc0 = GC.GetTotalAllocatedBytes(precise: true);
        var sw = Stopwatch.StartNew();
        var (fb, _) = BenchUtil.Time(step, minReps: 2, minSeconds: 0);
        var (fw, _) = BenchUtil.Time(eval, minReps: 2, minSeconds: 0);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - alloc0;
        int counted = result.Count;
        int gemms = dw.Length > 0 ? 3 : 2;
        double flop = 2.0 * counted * v * c;
        int chunk = LmHeadCrossEntropy.ChunkRows(counted, v);
        var info = GC.GetGCMemoryInfo();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"lm-head+CE {dtype,-4} N={n} C={c} V={v}{(dw.Length > 0 ? " +dW" : "    ")}: fwd+bwd {fb * 1e3,8:F1} ms ({counted / fb,7:F0} tok/s, {gemms * flop / fb / 1e9:F1} GFLOP/s)  " +
            $"fwd only {fw * 1e3,8:F1} ms ({flop / fw / 1e9:F1} GFLOP/s)  loss {result.Mean:F4} | memory: naive (N,V) logits+grad {Mb(2L * n * v * 4)} vs chunk ({chunk},V) {Mb((long)chunk * v * 4)}; " +
            $"managed allocated during timing {Mb(allocated)}, GC heap {Mb(info.HeapSizeBytes)}"));
    }

    private static string Mb(long bytes) => (bytes / 1048576.0).ToString("F1", CultureInfo.InvariantCulture) + " MiB";

    private static long VmHwmBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
        }
        return -1;
    }
}
