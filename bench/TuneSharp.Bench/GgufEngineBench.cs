// `gguf-engine` mode (a worker of `generate --llamacpp`): one engine — ours or llama.cpp through LLamaSharp 0.30.0 — loads
// one GGUF and measures batch-1 prefill and decode on fixed ids, then reports its own peak RSS (VmHWM) as one JSON line.
// Each engine runs in its own process so the peak RSS belongs to it alone (the .NET host is in both).
using System.Diagnostics;
using LLama;
using LLama.Common;
using LLama.Native;
using TuneSharp.Models;

namespace TuneSharp.Bench;

[BenchMode("gguf-engine")]
public static class GgufEngineBench
{
    public static int Run(string[] args)
    {
        string engine = BenchUtil.Option(args, "--engine") ?? throw new ArgumentException("--engine tunesharp|llamacpp");
        string gguf = BenchUtil.Option(args, "--gguf") ?? throw new ArgumentException("--gguf FILE");
        int prompt = int.Parse(BenchUtil.Option(args, "--prompt-tokens") ?? "128");
        int steps = int.Parse(BenchUtil.Option(args, "--decode-steps") ?? "32");
        int threads = int.Parse(BenchUtil.Option(args, "--threads") ?? "2");
        int reps = int.Parse(BenchUtil.Option(args, "--reps") ?? "3");
        int vocab = int.Parse(BenchUtil.Option(args, "--vocab") ?? throw new ArgumentException("--vocab N"));
        // The same ids for both engines: a random prompt, then random decode tokens (throughput does not depend on them).
        var rng = new Random(42);
        var ids = new int[prompt + steps];
        for (int i = 0; i < ids.Length; i++) ids[i] = rng.Next(vocab);

        var sw = Stopwatch.StartNew();
        IEngine e = engine switch
        {
            "tunesharp" => new Ours(gguf, threads, prompt + steps + 1),
            "llamacpp" => new LlamaCpp(gguf, threads, prompt + steps + 16, prompt),
            _ => throw new ArgumentException($"--engine {engine}: tunesharp or llamacpp"),
        };
        double loadS = sw.Elapsed.TotalSeconds;
        // Warm-up: JIT, thread pools, graph allocation.
        e.Reset();
        e.Step(ids.AsSpan(0, 8));
        e.Step(ids.AsSpan(8, 1));
        double bestPrefill = double.MaxValue, bestDecode = double.MaxValue;
        for (int r = 0; r < reps; r++)
        {
            e.Reset();
            sw.Restart();
            e.Step(ids.AsSpan(0, prompt));
            bestPrefill = Math.Min(bestPrefill, sw.Elapsed.TotalSeconds);
            var times = new List<double>(steps);
            for (int s = 0; s < steps; s++)
            {
                sw.Restart();
                e.Step(ids.AsSpan(prompt + s, 1));
                times.Add(sw.Elapsed.TotalSeconds);
            }
            times.Sort();
            bestDecode = Math.Min(bestDecode, times[times.Count / 2]);
        }
        var (hwm, rss) = MemoryKb();
        e.Dispose();
        Console.WriteLine(BenchUtil.JsonLine(("engine", engine), ("gguf", Path.GetFileName(gguf)), ("threads", threads), ("quant_dot_isa", TuneSharp.Tensors.Kernels.Quant.GgmlQuantMatrix.Isa.ToString()), ("prompt_tokens", prompt),
            ("decode_steps", steps), ("prefill_tok_s", prompt / bestPrefill), ("decode_tok_s", 1 / bestDecode), ("load_s", loadS),
            ("peak_rss_mb", hwm / 1024.0), ("rss_mb", rss / 1024.0)));
        return 0;
    }

    /// <summary>(VmHWM, VmRSS) of this process in kB.</summary>
    private static (long Hwm, long Rss) MemoryKb()
    {
        long hwm = 0, rss = 0;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        }
        return (hwm, rss);
    }

    private interface IEngine : IDisposable
    {
        /// <summary>Starts a new sequence (empty KV cache).</summary>
        void Reset();

        /// <summary>Feeds the next ids (batch 1) and computes the last position's logits.</summary>
        void Step(ReadOnlySpan<int> ids);
    }

    private sealed class Ours : IEngine
    {
        private readonly CausalLM _model;
        private readonly int _capacity;
        private readonly float[] _logits;
        private KvCache? _cache;

        public Ours(string gguf, int threads, int capacity)
        {
            TuneSharp.Tensors.Threading.KernelPool.Threads = threads;
            _model = CausalLM.FromPretrained(gguf);
            _capacity = capacity;
            _logits = new float[_model.Config.VocabSize];
        }

        public void Reset()
        {
            _cache?.Dispose();
            _cache = _model.CreateCache(1, _capacity);
        }

        public void Step(ReadOnlySpan<int> ids) => _model.Forward(_cache!, ids, default, _logits);

        public void Dispose()
        {
            _cache?.Dispose();
            _model.Dispose();
        }
    }

    private sealed class LlamaCpp : IEngine
    {
        private readonly LLamaWeights _weights;
        private readonly LLamaContext _ctx;
        private readonly LLamaBatch _batch = new();
        private int _pos;

        public LlamaCpp(string gguf, int threads, int context, int maxBatch)
        {
            NativeApi.llama_empty_call();
            NativeLogConfig.llama_log_set((_, _) => { });
            var p = new ModelParams(gguf)
            {
                ContextSize = (uint)context, BatchSize = (uint)maxBatch, UBatchSize = (uint)maxBatch,
                Threads = threads, BatchThreads = threads, GpuLayerCount = 0,
            };
            _weights = LLamaWeights.LoadFromFile(p);
            _ctx = _weights.CreateContext(p);
        }

        public void Reset()
        {
            _ctx.NativeHandle.MemoryClear(true);
            _pos = 0;
        }

        public void Step(ReadOnlySpan<int> ids)
        {
            _batch.Clear();
            for (int i = 0; i < ids.Length; i++) _batch.Add(ids[i], _pos++, LLamaSeqId.Zero, i == ids.Length - 1);
            var r = _ctx.Decode(_batch);
            if (r != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode: {r}");
            _ = _ctx.NativeHandle.GetLogitsIth(ids.Length - 1);
        }

        public void Dispose()
        {
            _ctx.Dispose();
            _weights.Dispose();
        }
    }
}
