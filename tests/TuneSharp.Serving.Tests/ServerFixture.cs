// One TinyStories server on 127.0.0.1 (random port, API key, 1 s body timeout) shared by the HTTP tests, plus helpers.
using System.ClientModel;
using System.Net.Http.Headers;
using System.Text;
using OpenAI;
using TuneSharp.Inference;
using TuneSharp.Inference.Scheduling;
using TuneSharp.Testing;
using TuneSharp.Tokenizers;

namespace TuneSharp.Serving.Tests;

public sealed class ServerFixture : IAsyncLifetime
{
    public const string Key = "test-key";
    public const string AdminKey = "admin-key";

    /// <summary>The TinyStories model has no chat template; the tests give it a plain role-prefixed one.</summary>
    public const string Template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}";

    public static Generator LoadTinyStories()
    {
        var dir = SharedAssets.Require("models/tinystories-656k");
        return new Generator(Models.CausalLM.FromPretrained(dir), Tokenizer.FromPretrained(dir), new ChatTemplate(Template));
    }

    public ServingEngine Engine { get; private set; } = null!;
    public OpenAiServer Server { get; private set; } = null!;
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>A second generator over the same files for solo reference runs (the engine's model belongs to the worker).</summary>
    public Generator Reference { get; } = LoadTinyStories();

    public string Model => Engine.ModelName;

    public Uri V1 => new(Server.BaseAddress, "v1");

    public async Task InitializeAsync()
    {
        Engine = new ServingEngine(LoadTinyStories(), new SchedulerOptions { MaxBatch = 8, MaxContext = 1024, QueueCapacity = 64 }, "tinystories");
        Server = new OpenAiServer(Engine, new ServerOptions
        {
            Host = "127.0.0.1",
            Port = 0,
            ApiKey = Key,
            AdminKey = AdminKey,
            MaxBodyBytes = 64 * 1024,
            BodyTimeout = TimeSpan.FromSeconds(1),
        });
        await Server.StartAsync();
        Http.BaseAddress = Server.BaseAddress;
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
    }

    public async Task DisposeAsync()
    {
        await Server.StopAsync();
        Engine.Dispose();
        Reference.Model.Dispose();
        Http.Dispose();
    }

    public OpenAIClientOptions ClientOptions => new() { Endpoint = V1 };

    public OpenAI.Chat.ChatClient Chat(string? model = null) => new(model ?? Model, new ApiKeyCredential(Key), ClientOptions);

    /// <summary>What `tunesharp generate --chat --prompt TEXT` prints for the same settings (greedy).</summary>
    public GenerationResult GenerateChat(string user, int maxNew) =>
        Reference.Generate(Reference.EncodeChat([new Dictionary<string, object?> { ["role"] = "user", ["content"] = user }]), new GenerationOptions { MaxNewTokens = maxNew });

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>Value of a metric line (no labels) in the /metrics text.</summary>
    public async Task<double> Metric(string name)
    {
        var text = await Http.GetStringAsync("metrics");
        foreach (var line in text.Split('\n'))
            if (line.StartsWith(name + " ", StringComparison.Ordinal)) return double.Parse(line[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        throw new Xunit.Sdk.XunitException($"metric {name} not in /metrics:\n{text}");
    }
}

[CollectionDefinition("server")]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>;
