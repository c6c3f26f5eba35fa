// `tunesharp serve`: an OpenAI-compatible HTTP server for one model and its LoRA adapters (flags and printing only).
using System.CommandLine;
using TuneSharp.Inference.Scheduling;
using TuneSharp.Serving;

namespace TuneSharp.Cli.Commands;

/// <summary>
/// Binds 127.0.0.1:8000 by default. The request's "model" picks the base (its folder name or --served-model-name) or an
/// adapter by NAME. Ctrl-C stops accepting requests and lets running ones finish. See docs/serving.md.
/// </summary>
[CliVerb(24)]
public static class ServeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "HF model folder or llama .gguf file", Required = true };
        var adapter = new Option<string[]>("--adapter") { Description = "PEFT adapter served as NAME=DIR (repeatable; DIR alone is served as its folder name)" };
        var host = new Option<string>("--host") { Description = "Address to bind (loopback by default; others need --api-key)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port (0 = any free port)", DefaultValueFactory = _ => 8000 };
        var apiKey = new Option<string?>("--api-key") { Description = "Bearer key required on /v1 requests (default: $TUNESHARP_API_KEY, else none)" };
        var adminKey = new Option<string?>("--admin-key") { Description = "Bearer key for POST/DELETE /v1/adapters (default: the API key)" };
        var name = new Option<string?>("--served-model-name") { Description = "Name the base model answers to (default: the model folder's name)" };
        var maxBatch = new Option<int>("--max-batch") { Description = "Sequences decoded together", DefaultValueFactory = _ => 8 };
        var maxContext = new Option<int>("--max-context") { Description = "Prompt + completion tokens per request", DefaultValueFactory = _ => 2048 };
        var queue = new Option<int>("--max-queue") { Description = "Requests waiting for a slot before 429", DefaultValueFactory = _ => 64 };
        var maxBody = new Option<long>("--max-body-bytes") { Description = "Largest request body (413 above)", DefaultValueFactory = _ => 1 << 20 };
        var embedding = new Option<string?>("--embedding-model") { Description = "sentence-transformers folder served on /v1/embeddings (under its folder name)" };
        var timeout = new Option<int>("--request-timeout") { Description = "Seconds one generation request may take", DefaultValueFactory = _ => 600 };
        var command = new Command("serve", "Serve a model and its LoRA adapters over the OpenAI API (chat, completions, streaming, JSON schema)");
        foreach (var o in new Option[] { model, adapter, embedding, host, port, apiKey, adminKey, name, maxBatch, maxContext, queue, maxBody, timeout })
            command.Options.Add(o);
        command.SetAction(p => Run(p.GetValue(model)!, p.GetValue(adapter) ?? [], p.GetValue(name), p.GetValue(embedding), new ServerOptions
        {
            Host = p.GetValue(host)!,
            Port = p.GetValue(port),
            ApiKey = p.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("TUNESHARP_API_KEY"),
            AdminKey = p.GetValue(adminKey),
            ModelName = p.GetValue(name),
            MaxBodyBytes = p.GetValue(maxBody),
            RequestTimeout = TimeSpan.FromSeconds(p.GetValue(timeout)),
            Scheduler = new SchedulerOptions { MaxBatch = p.GetValue(maxBatch), MaxContext = p.GetValue(maxContext), QueueCapacity = p.GetValue(queue) },
        }));
        return command;
    }

    private static int Run(string modelPath, string[] adapterSpecs, string? name, string? embeddingModel, ServerOptions options)
    {
        try
        {
            if (options.Port is < 0 or > 65535) throw new ArgumentException($"--port {options.Port} is not a TCP port");
            var adapters = adapterSpecs.Select(spec =>
            {
                int eq = spec.IndexOf('=');
                return eq > 0 && !Directory.Exists(spec)
                    ? KeyValuePair.Create(spec[..eq], spec[(eq + 1)..])
                    : KeyValuePair.Create(Path.GetFileName(spec.TrimEnd('/', '\\')), spec);
            }).ToList();
            using var engine = ServingEngine.Load(modelPath, adapters, options.Scheduler, name, embeddingModel);
            var server = new OpenAiServer(engine, options);
            server.StartAsync().GetAwaiter().GetResult();
            if (!OpenAiServer.IsLoopback(options.Host) && options.ApiKey is null)
                Console.Error.WriteLine($"tunesharp serve: warning: listening on {options.Host} without --api-key; anyone who can reach it can use the model");
            Console.Error.WriteLine($"tunesharp serve: {engine.ModelName} on {server.BaseAddress}v1 (models: {string.Join(", ", engine.ServedModels())}{(engine.Embedder is { } emb ? $"; embeddings: {emb.Name}" : "")}; batch {options.Scheduler.MaxBatch}, context {engine.Scheduler.MaxContext}). Ctrl-C stops.");
            server.WaitForShutdownAsync().GetAwaiter().GetResult();
            Console.Error.WriteLine("tunesharp serve: stopping; finishing running requests");
            server.StopAsync().GetAwaiter().GetResult();
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"tunesharp serve: {e.Message.ReplaceLineEndings(" ").Trim()}");
            return e is TuneSharpException t ? (int)t.ExitCode : 1;
        }
    }
}
