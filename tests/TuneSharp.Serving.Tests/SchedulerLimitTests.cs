// Bounded queue (429 + Retry-After), graceful shutdown finishing a running stream, and the embeddings interface point.
using System.ClientModel;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.AI;
using OpenAI.Embeddings;
using TuneSharp.Inference.Scheduling;

namespace TuneSharp.Serving.Tests;

public sealed class SchedulerLimitTests
{
    private static async Task<(ServingEngine, OpenAiServer, HttpClient)> Start(SchedulerOptions s, TextEmbedder? embedder = null)
    {
        var engine = new ServingEngine(ServerFixture.LoadTinyStories(), s, "tiny", embedder);
        var server = new OpenAiServer(engine, new ServerOptions { Port = 0, RetryAfterSeconds = 2 });
        await server.StartAsync();
        return (engine, server, new HttpClient { BaseAddress = server.BaseAddress });
    }

    [Fact]
    public async Task FullQueue_Answers429WithRetryAfter()
    {
        var (engine, server, http) = await Start(new SchedulerOptions { MaxBatch = 1, QueueCapacity = 1, MaxContext = 512 });
        try
        {
            var tasks = Enumerable.Range(0, 8).Select(_ => http.PostAsJsonAsync("v1/completions", new { model = "tiny", prompt = "Once upon a time", max_tokens = 400, temperature = 1 })).ToList();
            var resps = await Task.WhenAll(tasks);
            var codes = resps.Select(r => (int)r.StatusCode).ToList();
            Assert.Contains(429, codes);
            Assert.Contains(200, codes);
            Assert.All(codes, c => Assert.True(c is 200 or 429, $"status {c}"));
            var limited = resps.First(r => r.StatusCode == HttpStatusCode.TooManyRequests);
            Assert.Equal("2", limited.Headers.GetValues("Retry-After").Single());
            Assert.Contains("rate_limit_error", await limited.Content.ReadAsStringAsync());
        }
        finally
        {
            await server.StopAsync();
            engine.Dispose();
        }
    }

    [Fact]
    public async Task GracefulShutdown_FinishesRunningStream()
    {
        var (engine, server, http) = await Start(new SchedulerOptions { MaxBatch = 2, MaxContext = 512 });
        try
        {
            var req = new HttpRequestMessage(HttpMethod.Post, "v1/completions")
            {
                Content = JsonContent.Create(new { model = "tiny", prompt = "Once upon a time", max_tokens = 300, temperature = 1, stream = true }),
            };
            using var resp = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
            var reader = new StreamReader(await resp.Content.ReadAsStreamAsync());
            Assert.StartsWith("data: ", await reader.ReadLineAsync());
            var stop = server.StopAsync();
            var rest = await reader.ReadToEndAsync();
            await stop;
            Assert.EndsWith("data: [DONE]\n\n", rest);
            Assert.Contains("\"finish_reason\":\"", rest);
        }
        finally
        {
            engine.Dispose();
        }
    }

    [Fact]
    public async Task Embeddings_ServeAnEncoderThroughTheInterfacePoint()
    {
        // A stand-in encoder (letter histogram); the evaluation layer's sentence encoder plugs in the same way.
        var embedder = new TextEmbedder("letters", 26, texts => texts.Select(t =>
        {
            var v = new float[26];
            foreach (var c in t.ToLowerInvariant()) if (c is >= 'a' and <= 'z') v[c - 'a']++;
            return v;
        }).ToArray(), t => t.Length);
        var (engine, server, http) = await Start(new SchedulerOptions { MaxBatch = 1 }, embedder);
        try
        {
            var client = new EmbeddingClient("letters", new ApiKeyCredential("unused"), new OpenAI.OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") });
            var e = (await client.GenerateEmbeddingAsync("abba")).Value.ToFloats().ToArray();
            Assert.Equal(2f, e[0]);
            Assert.Equal(2f, e[1]);
            IEmbeddingGenerator<string, Embedding<float>> local = new TuneSharpEmbeddingGenerator(engine);
            var g = await local.GenerateAsync(["cab"]);
            Assert.Equal(1f, g[0].Vector.Span[2]);
        }
        finally
        {
            await server.StopAsync();
            engine.Dispose();
        }
    }
}
