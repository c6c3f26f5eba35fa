// The server driven by the official OpenAI .NET client and Microsoft.Extensions.AI.OpenAI: greedy text equals
// `tunesharp generate`, streaming, usage, finish reasons, logprobs, JSON schema, concurrency and disconnects.
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI.Chat;
using TuneSharp.Inference;

namespace TuneSharp.Serving.Tests;

[Collection("server")]
public sealed class OpenAiClientTests(ServerFixture f)
{
    private const string Prompt = "Tell me a story about a cat.";

    [Fact]
    public async Task ChatGreedy_StreamedOrNot_EqualsGenerate()
    {
        var want = f.GenerateChat(Prompt, 40);
        var options = new ChatCompletionOptions { Temperature = 0f, MaxOutputTokenCount = 40 };
        ChatCompletion c = (await f.Chat().CompleteChatAsync([new UserChatMessage(Prompt)], options)).Value;
        Assert.Equal(want.Text, c.Content[0].Text);
        Assert.Equal(want.FinishReason == FinishReason.Length ? OpenAI.Chat.ChatFinishReason.Length : OpenAI.Chat.ChatFinishReason.Stop, c.FinishReason);
        Assert.Equal(want.PromptIds.Length, c.Usage.InputTokenCount);
        Assert.Equal(want.GeneratedIds.Length, c.Usage.OutputTokenCount);

        var sb = new StringBuilder();
        ChatTokenUsage? usage = null;
        OpenAI.Chat.ChatFinishReason? finish = null;
        await foreach (var u in f.Chat().CompleteChatStreamingAsync([new UserChatMessage(Prompt)], options))
        {
            foreach (var part in u.ContentUpdate) sb.Append(part.Text);
            usage ??= u.Usage;
            finish ??= u.FinishReason;
        }
        Assert.Equal(want.Text, sb.ToString());
        Assert.Equal(c.FinishReason, finish);
        Assert.NotNull(usage);
        Assert.Equal(want.GeneratedIds.Length, usage!.OutputTokenCount);
    }

    [Fact]
    public async Task MicrosoftExtensionsAI_OverHttpAndInProcess_EqualsGenerate()
    {
        var want = f.GenerateChat(Prompt, 30);
        var options = new ChatOptions { Temperature = 0f, MaxOutputTokens = 30 };
        IChatClient http = f.Chat().AsIChatClient();
        var r = await http.GetResponseAsync([new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, Prompt)], options);
        Assert.Equal(want.Text, r.Text);
        var streamed = new StringBuilder();
        await foreach (var u in http.GetStreamingResponseAsync([new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, Prompt)], options)) streamed.Append(u.Text);
        Assert.Equal(want.Text, streamed.ToString());

        IChatClient local = new TuneSharpChatClient(f.Engine);
        var lr = await local.GetResponseAsync([new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, Prompt)], options);
        Assert.Equal(want.Text, lr.Text);
        Assert.Equal(want.GeneratedIds.Length, lr.Usage!.OutputTokenCount);
        var ls = new StringBuilder();
        await foreach (var u in local.GetStreamingResponseAsync([new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, Prompt)], options)) ls.Append(u.Text);
        Assert.Equal(want.Text, ls.ToString());
    }

    [Fact]
    public async Task Completions_GreedyWithStop_EqualsGenerate_StreamedOrNot()
    {
        const string text = "Once upon a time";
        var o = new GenerationOptions { MaxNewTokens = 30, StopStrings = ["."] };
        var want = f.Reference.Generate(text, o);
        var body = $$"""{"model":"{{f.Model}}","prompt":"{{text}}","max_tokens":30,"temperature":0,"stop":"."}""";
        using var resp = await f.Http.PostAsync("v1/completions", ServerFixture.Json(body));
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        using var doc = JsonDocument.Parse(await resp.Content.ReadAsStringAsync());
        var choice = doc.RootElement.GetProperty("choices")[0];
        Assert.Equal(want.Text, choice.GetProperty("text").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(want.PromptIds.Length, doc.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());

        var streamBody = body[..^1] + ""","stream":true,"stream_options":{"include_usage":true}}""";
        using var sresp = await f.Http.PostAsync("v1/completions", ServerFixture.Json(streamBody));
        var sse = await sresp.Content.ReadAsStringAsync();
        var events = sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e["data: ".Length..]).ToList();
        Assert.Equal("[DONE]", events[^1]);
        var joined = string.Concat(events.SkipLast(1).Select(e => JsonDocument.Parse(e).RootElement)
            .Where(e => e.GetProperty("choices").GetArrayLength() > 0).Select(e => e.GetProperty("choices")[0].GetProperty("text").GetString()));
        Assert.Equal(want.Text, joined);
        using var usage = JsonDocument.Parse(events[^2]);
        Assert.Equal(want.GeneratedIds.Length, usage.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Logprobs_AreLogSoftmaxOfTheChosenTokens()
    {
        var options = new ChatCompletionOptions { Temperature = 0f, MaxOutputTokenCount = 8, IncludeLogProbabilities = true, TopLogProbabilityCount = 3 };
        ChatCompletion c = (await f.Chat().CompleteChatAsync([new UserChatMessage(Prompt)], options)).Value;
        Assert.NotEmpty(c.ContentTokenLogProbabilities);
        foreach (var t in c.ContentTokenLogProbabilities)
        {
            Assert.True(t.LogProbability <= 0);
            Assert.Equal(3, t.TopLogProbabilities.Count);
            // Greedy: the chosen token is the most likely one.
            Assert.Equal(t.TopLogProbabilities[0].LogProbability, t.LogProbability, 4);
        }
    }

    [Fact]
    public async Task JsonResponseFormat_WithAVocabularyThatCannotWriteJson_Is400()
    {
        // TinyStories' tokenizer has no '{' (it encodes to <unk>), so constrained decoding could never succeed.
        var body = "{\"model\":\"" + f.Model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"response_format\":{\"type\":\"json_object\"}}";
        using var resp = await f.Http.PostAsync("v1/chat/completions", ServerFixture.Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, resp.StatusCode);
        Assert.Contains("cannot write the start", await resp.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ThirtyTwoConcurrentStreams_AllCompleteAndCorrect()
    {
        var prompts = Enumerable.Range(0, 32).Select(i => $"Story {i}: a {(i % 2 == 0 ? "dog" : "bird")} named {"ABCDEFGH"[i % 8]}").ToArray();
        var wants = prompts.Select(p => f.GenerateChat(p, 24).Text).ToArray();
        var options = new ChatCompletionOptions { Temperature = 0f, MaxOutputTokenCount = 24 };
        var got = await Task.WhenAll(prompts.Select(async p =>
        {
            var sb = new StringBuilder();
            await foreach (var u in f.Chat().CompleteChatStreamingAsync([new UserChatMessage(p)], options))
                foreach (var part in u.ContentUpdate) sb.Append(part.Text);
            return sb.ToString();
        }));
        for (int i = 0; i < prompts.Length; i++) Assert.True(wants[i] == got[i], $"stream {i}: '{got[i]}' vs '{wants[i]}'");
    }

    [Fact]
    public async Task ClientThatDisconnects_FreesItsSlot()
    {
        double cancelled = await f.Metric("tunesharp_sequences_cancelled_total");
        var body = $$"""{"model":"{{f.Model}}","messages":[{"role":"user","content":"go"}],"max_tokens":1000,"ignore_eos":true,"temperature":1,"stream":true}""";
        using (var tcp = new System.Net.Sockets.TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, f.Server.BaseAddress.Port);
            var s = tcp.GetStream();
            var head = $"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {ServerFixture.Key}\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n";
            await s.WriteAsync(Encoding.UTF8.GetBytes(head + body));
            var buf = new byte[4096];
            int got = 0;
            // Read until a few tokens have streamed, then drop the connection mid-generation.
            while (got < 1500) { int n = await s.ReadAsync(buf); if (n == 0) break; got += n; }
            Assert.True(await f.Metric("tunesharp_running_sequences") >= 1, "the stream should still be generating");
            tcp.Client.LingerState = new System.Net.Sockets.LingerOption(true, 0);
        }
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await f.Metric("tunesharp_sequences_cancelled_total") <= cancelled && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(await f.Metric("tunesharp_sequences_cancelled_total") > cancelled, "the disconnected stream was not cancelled");
        while (await f.Metric("tunesharp_running_sequences") > 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Equal(0, await f.Metric("tunesharp_running_sequences"));
        Assert.Equal(8, await f.Metric("tunesharp_free_slots"));
    }

    [Fact]
    public async Task Models_Health_Metrics_Embeddings()
    {
        var models = JsonDocument.Parse(await f.Http.GetStringAsync("v1/models")).RootElement.GetProperty("data");
        Assert.Contains(models.EnumerateArray(), m => m.GetProperty("id").GetString() == f.Model);
        using var health = await new HttpClient().GetAsync(new Uri(f.Server.BaseAddress, "health"));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var metrics = await f.Http.GetStringAsync("metrics");
        foreach (var name in new[] { "tunesharp_requests_total", "tunesharp_queue_depth", "tunesharp_time_to_first_token_seconds_bucket", "tunesharp_request_latency_seconds_count", "tunesharp_generation_tokens_total" })
            Assert.Contains(name, metrics);
        using var emb = await f.Http.PostAsync("v1/embeddings", ServerFixture.Json($$"""{"model":"{{f.Model}}","input":"hello"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, emb.StatusCode);
        Assert.Contains("decoder-only", await emb.Content.ReadAsStringAsync());
    }
}
