// The `serve-check` step: start `tunesharp serve` on 127.0.0.1, send one OpenAI chat request, save the answer, stop the server.
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
        var psi = new ProcessStartInfo(tool[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
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
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (true)
            {
                if (server.HasExited) throw new PipelineException($"tunesharp serve exited with code {server.ExitCode} before answering", ExitCode.External);
                try { if (http.GetAsync("v1/models").GetAwaiter().GetResult().IsSuccessStatusCode) break; }
                catch (HttpRequestException) { }
                if (DateTime.UtcNow > deadline) throw new PipelineException("tunesharp serve did not answer GET /v1/models within 120 s", ExitCode.External);
                Thread.Sleep(250);
            }
            var body = new JsonObject
            {
                ["model"] = adapter != null ? Path.GetFileName(adapter.TrimEnd('/')) : Path.GetFileName(model.TrimEnd('/')),
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt }),
                ["max_tokens"] = maxNewTokens,
                ["temperature"] = 0,
            };
            if (stop.Count > 0) body["stop"] = new JsonArray(stop.Select(s => (JsonNode)s!).ToArray());
            var response = http.PostAsJsonAsync("v1/chat/completions", body).GetAwaiter().GetResult();
            var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            if (!response.IsSuccessStatusCode) throw new PipelineException($"POST /v1/chat/completions answered {(int)response.StatusCode}: {text}", ExitCode.External);
            Directory.CreateDirectory(outDir);
            AtomicFile.WriteAllText(Path.Combine(outDir, "response.json"), text);
            log("serve-check: " + (JsonNode.Parse(text)?["choices"]?[0]?["message"]?["content"]?.ToString() ?? text));
            return 0;
        }
        finally
        {
            try { server.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        }
    }
}
