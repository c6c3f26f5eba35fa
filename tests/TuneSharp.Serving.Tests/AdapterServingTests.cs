// Many LoRA adapters behind one server (golden llama_gqa fixture, PEFT adapters a and b): base and adapter requests
// interleaved in one batch each equal their solo runs; adapters load and unload at run time.
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TuneSharp.Inference;
using TuneSharp.Inference.Scheduling;
using TuneSharp.Models;
using TuneSharp.Testing;
using TuneSharp.Tokenizers;

namespace TuneSharp.Serving.Tests;

public sealed class AdapterServingTests : IAsyncLifetime
{
    private const string Variant = "llama_gqa";
    private static readonly Lazy<Tokenizer> Tok = new(() => Tokenizer.FromPretrained(SharedAssets.Require("models/tinystories-656k")));
    private static string Adapter(string n) => SharedAssets.Golden(Path.Combine("adapters", Variant, n));

    private static Generator Load()
    {
        var g = new Generator(CausalLM.FromPretrained(SharedAssets.Golden(Path.Combine("models", Variant, "model"))), Tok.Value);
        g.LoadAdapter(Adapter("a"), "a");
        g.LoadAdapter(Adapter("b"), "b");
        return g;
    }

    private readonly Generator _reference = Load();
    private ServingEngine _engine = null!;
    private OpenAiServer _server = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync()
    {
        _engine = new ServingEngine(Load(), new SchedulerOptions { MaxBatch = 6, MaxContext = 64 }, "base");
        _server = new OpenAiServer(_engine, new ServerOptions { Port = 0 });
        await _server.StartAsync();
        _http.BaseAddress = _server.BaseAddress;
    }

    public async Task DisposeAsync()
    {
        await _server.StopAsync();
        _engine.Dispose();
        _reference.Model.Dispose();
    }

    private static int[][] Prompts()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(SharedAssets.Golden(Path.Combine("adapters", Variant)), "meta.json")));
        return doc.RootElement.GetProperty("prompt_ids").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray();
    }

    private async Task<string> Complete(string model, int[] prompt, int n)
    {
        using var resp = await _http.PostAsJsonAsync("v1/completions", new { model, prompt, max_tokens = n, temperature = 0 });
        var body = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("choices")[0].GetProperty("text").GetString()!;
    }

    [Fact]
    public async Task BaseAndAdapterRequests_InterleavedInOneBatch_EachEqualTheirSoloRuns()
    {
        var prompts = Prompts();
        var jobs = new List<(string Model, string? Adapter, int[] Prompt, int N)>();
        for (int rep = 0; rep < 2; rep++)
            foreach (var p in prompts)
                foreach (var (model, adapter) in new[] { ("base", (string?)null), ("a", "a"), ("b", "b") })
                    jobs.Add((model, adapter, p, 10 + 3 * rep));
        long steps = _engine.Scheduler.DecodeSteps, tokens = _engine.Scheduler.GeneratedTokens;
        // In-process through the scheduler (ids) and over HTTP (text), all submitted at once.
        var direct = jobs.Select(j => _engine.Scheduler.Submit(new SequenceRequest(j.Prompt, new GenerationOptions { MaxNewTokens = j.N, Adapter = j.Adapter })).Completion).ToList();
        var http = jobs.Select(j => Complete(j.Model, j.Prompt, j.N)).ToList();
        var results = await Task.WhenAll(direct);
        var texts = await Task.WhenAll(http);
        for (int i = 0; i < jobs.Count; i++)
        {
            var solo = _reference.Generate(jobs[i].Prompt, new GenerationOptions { MaxNewTokens = jobs[i].N, Adapter = jobs[i].Adapter });
            Assert.True(solo.GeneratedIds.SequenceEqual(results[i].GeneratedIds), $"job {i} ({jobs[i].Model}): [{string.Join(",", results[i].GeneratedIds)}] vs solo [{string.Join(",", solo.GeneratedIds)}]");
            var textSolo = _reference.Generate(jobs[i].Prompt, new GenerationOptions { MaxNewTokens = jobs[i].N, Adapter = jobs[i].Adapter, SkipSpecialTokens = true });
            Assert.Equal(textSolo.Text, texts[i]);
        }
        // Rows shared decode steps: far fewer steps than tokens generated.
        long usedSteps = _engine.Scheduler.DecodeSteps - steps, usedTokens = _engine.Scheduler.GeneratedTokens - tokens;
        Assert.True(usedSteps * 2 < usedTokens, $"{usedSteps} decode steps for {usedTokens} tokens: requests were not batched");
    }

    [Fact]
    public async Task Adapters_LoadAndUnloadAtRunTime()
    {
        var p = Prompts()[0];
        using (var resp = await _http.PostAsJsonAsync("v1/adapters", new { name = "c", path = Adapter("b") }))
            Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var models = JsonDocument.Parse(await _http.GetStringAsync("v1/models")).RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToList();
        Assert.Equal(["base", "a", "b", "c"], models);
        Assert.Equal(await Complete("b", p, 8), await Complete("c", p, 8));
        using (var dup = await _http.PostAsJsonAsync("v1/adapters", new { name = "c", path = Adapter("a") }))
            Assert.Equal(HttpStatusCode.Conflict, dup.StatusCode);
        using (var del = await _http.DeleteAsync("v1/adapters/c"))
            Assert.Equal(HttpStatusCode.OK, del.StatusCode);
        using var gone = await _http.PostAsJsonAsync("v1/completions", new { model = "c", prompt = p, max_tokens = 4 });
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Contains("model_not_found", await gone.Content.ReadAsStringAsync());
    }
}
