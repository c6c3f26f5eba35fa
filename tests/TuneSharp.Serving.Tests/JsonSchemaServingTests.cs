// response_format json_schema / json_object end to end: a random small model with SmolLM2's 49k-token vocabulary, sampled
// at temperature 1, must still return JSON that parses and validates (OpenAI client, Microsoft.Extensions.AI, in-process).
using System.ClientModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using OpenAI.Chat;
using TuneSharp.Inference;
using TuneSharp.Inference.Scheduling;
using TuneSharp.Models;
using TuneSharp.Models.Config;
using TuneSharp.Testing;
using TuneSharp.Tokenizers;

namespace TuneSharp.Serving.Tests;

public sealed class JsonSchemaServingTests : IAsyncLifetime
{
    private ServingEngine _engine = null!;
    private OpenAiServer _server = null!;
    private string _dir = null!;

    public async Task InitializeAsync()
    {
        // SmolLM2's config shrunk to 2 layers of width 64 (random weights): JSON validity must come from the mask alone.
        var cfg = JsonNode.Parse(File.ReadAllText(SharedAssets.Require("models/configs/smollm2-135m/config.json")))!.AsObject();
        cfg["hidden_size"] = 64;
        cfg["intermediate_size"] = 128;
        cfg["num_hidden_layers"] = 2;
        cfg["num_attention_heads"] = 4;
        cfg["num_key_value_heads"] = 2;
        _dir = Directory.CreateTempSubdirectory("tunesharp-json-").FullName;
        File.WriteAllText(Path.Combine(_dir, "config.json"), cfg.ToJsonString());
        var model = CausalLM.CreateRandom(ModelConfig.Load(Path.Combine(_dir, "config.json")), seed: 7);
        var tok = Tokenizer.FromFile(SharedAssets.Require("tokenizers/smollm2/tokenizer.json"));
        _engine = new ServingEngine(new Generator(model, tok, new ChatTemplate(ServerFixture.Template)), new SchedulerOptions { MaxBatch = 4, MaxContext = 512 }, "random");
        _server = new OpenAiServer(_engine, new ServerOptions { Port = 0 });
        await _server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _server.StopAsync();
        _engine.Dispose();
        Directory.Delete(_dir, true);
    }

    private const string Schema = """
        {"type":"object","properties":{
          "name":{"type":"string","maxLength":12},
          "age":{"type":"integer"},
          "happy":{"type":"boolean"},
          "color":{"enum":["red","green","blue"]},
          "tags":{"type":"array","items":{"type":"string","maxLength":6},"maxItems":2}},
         "required":["name","age","happy","color","tags"],"additionalProperties":false}
        """;

    private static void Validate(string text)
    {
        using var doc = JsonDocument.Parse(text);
        var e = doc.RootElement;
        Assert.Equal(JsonValueKind.Object, e.ValueKind);
        var names = e.EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.True(names.SetEquals(["name", "age", "happy", "color", "tags"]), "keys: " + string.Join(",", names));
        Assert.True(e.GetProperty("name").GetString()!.Length <= 12);
        Assert.Equal(JsonValueKind.Number, e.GetProperty("age").ValueKind);
        Assert.DoesNotContain('.', e.GetProperty("age").GetRawText());
        Assert.Contains(e.GetProperty("happy").ValueKind, new[] { JsonValueKind.True, JsonValueKind.False });
        Assert.Contains(e.GetProperty("color").GetString(), new[] { "red", "green", "blue" });
        var tags = e.GetProperty("tags");
        Assert.True(tags.GetArrayLength() <= 2);
        foreach (var t in tags.EnumerateArray()) Assert.True(t.GetString()!.Length <= 6);
    }

    [Fact]
    public async Task JsonSchema_ResponsesAlwaysParseAndValidate()
    {
        var chat = new ChatClient("random", new ApiKeyCredential("unused"), new OpenAI.OpenAIClientOptions { Endpoint = new Uri(_server.BaseAddress, "v1") });
        var format = OpenAI.Chat.ChatResponseFormat.CreateJsonSchemaFormat("person", BinaryData.FromString(Schema), jsonSchemaIsStrict: true);
        var texts = await Task.WhenAll(Enumerable.Range(0, 2).Select(async i =>
        {
            var options = new ChatCompletionOptions { Temperature = i == 0 ? 0f : 1f, MaxOutputTokenCount = 400, ResponseFormat = format };
            var c = (await chat.CompleteChatAsync([new UserChatMessage($"Person {i} as JSON")], options)).Value;
            Assert.Equal(OpenAI.Chat.ChatFinishReason.Stop, c.FinishReason);
            return c.Content[0].Text;
        }));
        foreach (var t in texts) Validate(t);

        // Streamed through Microsoft.Extensions.AI over HTTP, and in process.
        var options = new ChatOptions { Temperature = 1f, MaxOutputTokens = 150, ResponseFormat = Microsoft.Extensions.AI.ChatResponseFormat.ForJsonSchema(JsonDocument.Parse(Schema).RootElement, "person") };
        var streamed = new System.Text.StringBuilder();
        Microsoft.Extensions.AI.ChatFinishReason? finish = null;
        await foreach (var u in chat.AsIChatClient().GetStreamingResponseAsync([new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, "JSON")], options))
        {
            streamed.Append(u.Text);
            finish ??= u.FinishReason;
        }
        // Microsoft.Extensions.AI rewrites schemas for OpenAI's strict mode and drops maxLength/maxItems, so a random
        // model may fill a string until max_tokens ("length"); whatever stops is valid.
        if (finish == Microsoft.Extensions.AI.ChatFinishReason.Stop) Validate(streamed.ToString());
        else Assert.Equal(Microsoft.Extensions.AI.ChatFinishReason.Length, finish);
        var local = await new TuneSharpChatClient(_engine).GetResponseAsync([new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, "JSON")], new ChatOptions
        {
            Temperature = 1f, MaxOutputTokens = 400, ResponseFormat = options.ResponseFormat,
        });
        Validate(local.Text);
    }

    [Fact]
    public async Task JsonObject_ReturnsAnObject()
    {
        var chat = new ChatClient("random", new ApiKeyCredential("unused"), new OpenAI.OpenAIClientOptions { Endpoint = new Uri(_server.BaseAddress, "v1") });
        var c = (await chat.CompleteChatAsync([new UserChatMessage("JSON please")], new ChatCompletionOptions
        {
            Temperature = 0f, MaxOutputTokenCount = 200, ResponseFormat = OpenAI.Chat.ChatResponseFormat.CreateJsonObjectFormat(),
        })).Value;
        // Greedy on random weights may write an endless key; whenever it stops, the text is a JSON object.
        if (c.FinishReason == OpenAI.Chat.ChatFinishReason.Stop)
            Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(c.Content[0].Text).RootElement.ValueKind);
        else Assert.StartsWith("{", c.Content[0].Text.TrimStart());
    }
}
