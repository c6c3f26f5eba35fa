// The `serve-check` step: start `tunesharp serve` on 127.0.0.1, send one OpenAI chat request (a plain completion when the
// model has no chat template), save the answer, stop the server.
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using TuneSharp.Tensors.IO;

namespace TuneSharp.Pipelines.Actions;

public static class ServeCheck
{
    public static int Run(IReadOnlyList<string> tool, IReadOnlySet<string> verbs, string model, string? adapter, string prompt, int maxNewTokens,
        IReadOnlyList<string> stop, string outDir, Action<string> log)
    {
        if (!verbs.Contains("serve"))
            throw new PipelineException("serve-check needs `tunesharp serve`, which this build does not have (it comes with the serving module)", ExitCode.Usage);
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0)) { l.Start(); port = ((IPEndPoint)l.LocalEndpoint).Port; l.Stop(); }
        // A key made for this check only: the server never answers another local process, and an inherited
        // TUNESHARP_API_KEY cannot lock the check out. Passed through the environment, so it is not on a command line.
        string key = "sk-serve-check-" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var psi = new ProcessStartInfo(tool[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["TUNESHARP_API_KEY"] = key;
        foreach (var a in tool.Skip(1).Concat(["serve", "--model", model, "--host", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            psi.ArgumentList.Add(a);
        if (adapter != null) { psi.ArgumentList.Add("--adapter"); psi.ArgumentList.Add(adapter); }
        using var server = Process.Start(psi)!;
        server.OutputDataReceived += (_, e) => { if (e.Data != null) log("serve: " + e.Data); };
        server.ErrorDataReceived += (_, e) => { if (e.Data != null) log("serve: " + e.Data); };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromMinutes(5) };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            var deadline = DateTime.UtcNow.AddSeconds(120);
            JsonNode? models;
            while (true)
            {
                if (server.HasExited) throw new PipelineException($"tunesharp serve exited with code {server.ExitCode} before answering", ExitCode.External);
                try
                {
                    var r = http.GetAsync("v1/models").GetAwaiter().GetResult();
                    if (r.IsSuccessStatusCode) { models = JsonNode.Parse(r.Content.ReadAsStringAsync().GetAwaiter().GetResult()); break; }
                }
                catch (HttpRequestException) { }
                if (DateTime.UtcNow > deadline) throw new PipelineException("tunesharp serve did not answer GET /v1/models within 120 s", ExitCode.External);
                Thread.Sleep(250);
            }
            // The served names come from the server itself: the base first, then the adapters (named after their folders).
            var ids = (models?["data"] as JsonArray)?.Select(m => m?["id"]?.ToString()).OfType<string>().ToList() ?? [];
            if (ids.Count == 0) throw new PipelineException("tunesharp serve listed no models on GET /v1/models", ExitCode.External);
            string served = adapter != null ? ids.FirstOrDefault(i => i == Path.GetFileName(adapter.TrimEnd('/', '\\'))) ?? ids[^1] : ids[0];
            var body = new JsonObject
            {
                ["model"] = served,
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt }),
                ["max_tokens"] = maxNewTokens,
                ["temperature"] = 0,
            };
            if (stop.Count > 0) body["stop"] = new JsonArray(stop.Select(s => (JsonNode)s!).ToArray());
            var response = http.PostAsJsonAsync("v1/chat/completions", body).GetAwaiter().GetResult();
            var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            if (response.StatusCode == HttpStatusCode.BadRequest && text.Contains("no chat template", StringComparison.Ordinal))
            {
                log($"serve-check: {served} has no chat template; sending the prompt to /v1/completions instead");
                body.Remove("messages");
                body["prompt"] = prompt;
                response = http.PostAsJsonAsync("v1/completions", body).GetAwaiter().GetResult();
                text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            }
            if (!response.IsSuccessStatusCode) throw new PipelineException($"POST to {response.RequestMessage?.RequestUri?.AbsolutePath} answered {(int)response.StatusCode}: {text}", ExitCode.External);
            Directory.CreateDirectory(outDir);
            AtomicFile.WriteAllText(Path.Combine(outDir, "response.json"), text);
            var choice = JsonNode.Parse(text)?["choices"]?[0];
            log("serve-check: " + (choice?["message"]?["content"]?.ToString() ?? choice?["text"]?.ToString() ?? text));
            return 0;
        }
        finally
        {
            try { server.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        }
    }
}
