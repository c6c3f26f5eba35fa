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

    private const string Schema = """
        {"type":"object","properties":{
          "name":{"type":"string","maxLength":12},
          "age":{"type":"integer"},
          "happy":{"type":"boolean"},
          "color":{"enum":["red","green","blue"]},
          "tags":{"type":"array","items":{"type":"string","maxLength":6},"maxItems":3}},
         "required":["name","age","happy","color","tags"],"additionalProperties":false}
        """;

    private static void Validate(JsonElement e)
    {
        Assert.Equal(JsonValueKind.Object, e.ValueKind);
        var names = e.EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.True(names.SetEquals(["name", "age", "happy", "color", "tags"]), "keys: " + string.Join(",", names));
        Assert.True(e.GetProperty("name").GetString()!.Length <= 12);
        Assert.True(e.GetProperty("age").TryGetInt64(out _));
        Assert.Contains(e.GetProperty("happy").ValueKind, new[] { JsonValueKind.True, JsonValueKind.False });
        Assert.Contains(e.GetProperty("color").GetString(), new[] { "red", "green", "blue" });
        var tags = e.GetProperty("tags");
        Assert.True(tags.GetArrayLength() <= 3);
        foreach (var t in tags.EnumerateArray()) Assert.True(t.GetString()!.Length <= 6);
    }

    [Fact]
    public async Task JsonSchema_ResponsesAlwaysParseAndValidate()
    {
        var format = ChatResponseFormat.CreateJsonSchemaFormat("person", BinaryData.FromString(Schema), jsonSchemaIsStrict: true);
        var tasks = Enumerable.Range(0, 6).Select(async i =>
        {
            var options = new ChatCompletionOptions { Temperature = i == 0 ? 0f : 1f, TopP = 0.95f, MaxOutputTokenCount = 200, ResponseFormat = format };
            var c = (await f.Chat().CompleteChatAsync([new UserChatMessage($"Describe person number {i} as JSON.")], options)).Value;
            Assert.Equal(OpenAI.Chat.ChatFinishReason.Stop, c.FinishReason);
            using var doc = JsonDocument.Parse(c.Content[0].Text);
            Validate(doc.RootElement);
        });
        await Task.WhenAll(tasks);

        // json_object: any object; also in-process with a schema through Microsoft.Extensions.AI.
        var obj = (await f.Chat().CompleteChatAsync([new UserChatMessage("JSON please")], new ChatCompletionOptions
        {
            Temperature = 1f, MaxOutputTokenCount = 200, ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat(),
        })).Value;
        if (obj.FinishReason == OpenAI.Chat.ChatFinishReason.Stop)
            Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(obj.Content[0].Text).RootElement.ValueKind);
        IChatClient local = new TuneSharpChatClient(f.Engine);
        var r = await local.GetResponseAsync([new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, "JSON")], new ChatOptions
        {
            Temperature = 0.8f, MaxOutputTokens = 200, ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonDocument.Parse(Schema).RootElement, "person"),
        });
        Validate(JsonDocument.Parse(r.Text).RootElement);
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
        var body = $$"""{"model":"{{f.Model}}","messages":[{"role":"user","content":"go"}],"max_tokens":250,"temperature":1,"stream":true}""";
        using (var req = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = ServerFixture.Json(body) })
        using (var resp = await f.Http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead))
        {
            var stream = await resp.Content.ReadAsStreamAsync();
            var buf = new byte[64];
            Assert.True(await stream.ReadAsync(buf) > 0);
        }
        // Disposing the response aborts the connection; the scheduler sees the cancellation at its next step.
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
