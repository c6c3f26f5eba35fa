// `quant-dot` mode: y = x·Wᵀ through GgmlQuantMatrix for every kept-quantized ggml type and instruction set (generic
// block decode, AVX2, AVX-VNNI), at decode (M = 1) and prefill (M = 128) on a SmolLM2 MLP shape, interleaved in one run.
using System.Globalization;
using TuneSharp.Tensors.IO.Gguf;
using TuneSharp.Tensors.Kernels.Quant;

namespace TuneSharp.Bench;

[BenchMode("quant-dot")]
public static class QuantDotBench
{
    public static int Run(string[] args)
    {
        if (BenchUtil.Option(args, "--threads") is { } th) TuneSharp.Tensors.Threading.KernelPool.Threads = int.Parse(th, CultureInfo.InvariantCulture);
        int n = int.Parse(BenchUtil.Option(args, "--rows") ?? "1536", CultureInfo.InvariantCulture);
        int k = int.Parse(BenchUtil.Option(args, "--cols") ?? "768", CultureInfo.InvariantCulture);
        var saved = GgmlQuantMatrix.Isa;
        Console.WriteLine($"W ({n}, {k}), threads {TuneSharp.Tensors.Threading.KernelPool.Threads}; GB/s = weight bytes streamed per second (M = 1), GMAC/s at M = 128");
        Console.WriteLine("| type | ISA | M=1 µs | M=1 GB/s | M=128 ms | M=128 GMAC/s |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
        var types = BenchUtil.Option(args, "--types") is { } list
            ? list.Split(',').Select(t => Enum.Parse<GgmlType>(t, ignoreCase: true)).ToArray()
            : [GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K];
        foreach (var type in types)
        {
            var w = BenchUtil.RandomArray(n * k, 1);
            var bytes = new byte[GgmlQuant.ByteCount(type, w.Length)];
            GgmlQuant.Quantize(type, w, bytes);
            var mat = new GgmlQuantMatrix(type, n, k, bytes);
            var x1 = BenchUtil.RandomArray(k, 2);
            var x128 = BenchUtil.RandomArray(128 * k, 3);
            var y1 = new float[n];
            var y128 = new float[128 * n];
            var isas = Enum.GetValues<GgmlDotIsa>().Where(i => i <= GgmlQuantMatrix.BestIsa).ToList();
            var decode = BenchUtil.TimeInterleaved(isas.Select(i => (Action)(() => { GgmlQuantMatrix.Isa = i; mat.MatMulTransB(x1, y1, 1); })).ToList(), minReps: 20, minSeconds: 0.5, maxReps: 2000);
            var prefill = BenchUtil.TimeInterleaved(isas.Select(i => (Action)(() => { GgmlQuantMatrix.Isa = i; mat.MatMulTransB(x128, y128, 128); })).ToList(), minReps: 3, minSeconds: 0.5);
            for (int j = 0; j < isas.Count; j++)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {type} | {isas[j]} | {decode[j] * 1e6:F0} | {bytes.Length / decode[j] / 1e9:F2} | {prefill[j] * 1e3:F1} | {128.0 * n * k / prefill[j] / 1e9:F2} |"));
        }
        GgmlQuantMatrix.Isa = saved;
        return 0;
    }
}
