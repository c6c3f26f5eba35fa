// `serve` mode: N concurrent streaming clients against the OpenAI-compatible server on loopback (random
// SmolLM2-135M-shaped model, BF16): aggregate tokens/s, time to first token and latency p50/p99, and the batched
// decode rate at 8 streams against 1 stream measured in the same run.
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using TuneSharp.Inference;
using TuneSharp.Inference.Scheduling;
using TuneSharp.Models;
using TuneSharp.Models.Config;
using TuneSharp.Serving;
using TuneSharp.Tensors;
using TuneSharp.Tokenizers;

namespace TuneSharp.Bench;

[BenchMode("serve")]
public static class ServeBench
{
    public static int Run(string[] args)
    {
        bool json = BenchUtil.HasFlag(args, "--json");
        string shared = FindShared();
        string configPath = BenchUtil.Option(args, "--config") ?? Path.Combine(shared, "assets", "models", "configs", "smollm2-135m", "config.json");
        string tokenizerPath = BenchUtil.Option(args, "--tokenizer") ?? Path.Combine(shared, "assets", "tokenizers", "smollm2", "tokenizer.json");
        int maxTokens = int.Parse(BenchUtil.Option(args, "--max-tokens") ?? "32");
        var clients = (BenchUtil.Option(args, "--clients") ?? "1,4,8,16").Split(',').Select(int.Parse).ToArray();
        var config = ModelConfig.Load(configPath);
        var model = CausalLM.CreateRandom(config, DType.BF16, seed: 1);
        var gen = new Generator(model, Tokenizer.FromFile(tokenizerPath));
        using var engine = new ServingEngine(gen, new SchedulerOptions { MaxBatch = clients.Max(), MaxContext = 512, QueueCapacity = 256 }, "smollm2-random");
        var server = new OpenAiServer(engine, new ServerOptions { Port = 0 });
        server.StartAsync().GetAwaiter().GetResult();
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
        Console.Error.WriteLine($"serving random {config} on {server.BaseAddress}; {maxTokens} tokens per request");
        Round(http, engine, 1, 4, json: true, quiet: true); // warm-up (JIT, pools)
        var decodeRate = new Dictionary<int, double>();
        foreach (int n in clients)
            decodeRate[n] = Round(http, engine, n, maxTokens, json, quiet: false);
        if (decodeRate.TryGetValue(1, out var one) && decodeRate.TryGetValue(8, out var eight))
        {
            if (json) Console.WriteLine(BenchUtil.JsonLine(("metric", "decode_ratio_8_vs_1"), ("value", Math.Round(eight / one, 2))));
            else Console.WriteLine($"decode tokens/s at 8 streams / 1 stream: {eight / one:F2}× ({eight:F1} vs {one:F1})");
        }
        server.StopAsync().GetAwaiter().GetResult();
        return 0;
    }

    /// <summary>One round of n concurrent streams; returns the batched decode tokens/s of the round.</summary>
    private static double Round(HttpClient http, ServingEngine engine, int n, int maxTokens, bool json, bool quiet)
    {
        long tok0 = engine.Scheduler.DecodeTokens;
        var time0 = engine.Scheduler.DecodeTime;
        var wall = Stopwatch.StartNew();
        var results = Task.WhenAll(Enumerable.Range(0, n).Select(i => Stream(http, i, maxTokens))).GetAwaiter().GetResult();
        double seconds = wall.Elapsed.TotalSeconds;
        double decode = (engine.Scheduler.DecodeTokens - tok0) / Math.Max(1e-9, (engine.Scheduler.DecodeTime - time0).TotalSeconds);
        if (quiet) return decode;
        int tokens = results.Sum(r => r.Tokens);
        var ttft = results.Select(r => r.Ttft).Order().ToArray();
        var lat = results.Select(r => r.Latency).Order().ToArray();
        double P(double[] xs, double q) => xs[Math.Min(xs.Length - 1, (int)Math.Ceiling(q * xs.Length) - 1)];
        if (json)
            Console.WriteLine(BenchUtil.JsonLine(("clients", n), ("tokens", tokens), ("aggregate_tok_s", Math.Round(tokens / seconds, 1)), ("decode_tok_s", Math.Round(decode, 1)),
                ("ttft_p50_ms", Math.Round(P(ttft, 0.5) * 1e3)), ("ttft_p99_ms", Math.Round(P(ttft, 0.99) * 1e3)),
                ("latency_p50_ms", Math.Round(P(lat, 0.5) * 1e3)), ("latency_p99_ms", Math.Round(P(lat, 0.99) * 1e3))));
        else
            Console.WriteLine($"N={n,2}: {tokens} tokens in {seconds:F2} s → aggregate {tokens / seconds:F1} tok/s, batched decode {decode:F1} tok/s; " +
                $"TTFT p50 {P(ttft, 0.5) * 1e3:F0} ms p99 {P(ttft, 0.99) * 1e3:F0} ms; latency p50 {P(lat, 0.5) * 1e3:F0} ms p99 {P(lat, 0.99) * 1e3:F0} ms");
        return decode;
    }

    private static async Task<(int Tokens, double Ttft, double Latency)> Stream(HttpClient http, int i, int maxTokens)
    {
        var sw = Stopwatch.StartNew();
        var req = new HttpRequestMessage(HttpMethod.Post, "v1/completions")
        {
            Content = JsonContent.Create(new
            {
                model = "smollm2-random",
                prompt = $"Client {i} asks: what is the weather like in the harbour today, and should the ships leave port?",
                max_tokens = maxTokens,
                temperature = 0,
                stream = true,
                stream_options = new { include_usage = true },
            }),
        };
        using var resp = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        resp.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await resp.Content.ReadAsStreamAsync());
        double ttft = -1;
        int tokens = 0;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
            var data = line[6..];
            if (data == "[DONE]") break;
            if (ttft < 0) ttft = sw.Elapsed.TotalSeconds;
            using var doc = JsonDocument.Parse(data);
            if (doc.RootElement.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object)
                tokens = u.GetProperty("completion_tokens").GetInt32();
        }
        return (tokens, ttft, sw.Elapsed.TotalSeconds);
    }

    private static string FindShared()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var s = Path.Combine(d.FullName, "..", "shared");
            if (Directory.Exists(Path.Combine(s, "assets"))) return Path.GetFullPath(s);
            if (Directory.Exists(Path.Combine(d.FullName, "shared", "assets"))) return Path.Combine(d.FullName, "shared");
        }
        return "/work/shared";
    }
}
