// The dashboard in real headless Chromium (Debian's /usr/bin/chromium via Playwright): every page renders without console
// errors and shows the run's data; live curves follow server-sent events; screenshots go to artifacts/dashboard/.
using Microsoft.Playwright;
using TuneSharp.Dashboard.Chat;
using TuneSharp.Pipelines.Model;
using TuneSharp.Pipelines.Registry;
using TuneSharp.Pipelines.Running;
using TuneSharp.Testing;

namespace TuneSharp.Dashboard.Tests;

public sealed class DashboardBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    private static string Pipeline(string lr) => $$$"""
        name: abstracts-demo
        steps:
          prepare:
            kind: shell
            run: seq 1 40 > $OUT/rows.txt
          train:
            kind: shell
            needs: [prepare]
            run: |
              for s in $(seq 5 5 100); do
                awk -v s=$s -v lr={{{lr}}} 'BEGIN{printf "{\"step\": %d, \"loss\": %.4f, \"learning_rate\": %s}\n", s, 3.2*exp(-s*lr/8)+0.4, lr}' >> $OUT/metrics.jsonl
                if [ $((s % 20)) -eq 0 ]; then awk -v s=$s -v lr={{{lr}}} 'BEGIN{printf "{\"step\": %d, \"eval_loss\": %.4f}\n", s, 3.4*exp(-s*lr/10)+0.6}' >> $OUT/metrics.jsonl; fi
              done
          predict:
            kind: shell
            needs: [train]
            run: echo '{"prediction":"x","reference":"x"}' > $OUT/predictions.jsonl
          evaluate:
            kind: shell
            needs: [predict]
            inputs: [plot.png]
            run: |
              cp plot.png $OUT/rouge.png
              echo '{"model": "tuned", "metrics": {"rouge1": 0.41, "rouge2": 0.18, "rougeL": 0.37}}' > $OUT/report.json
        """;

    private static void MakePlot(string path)
    {
        var plot = new ScottPlot.Plot();
        plot.Add.Bars(new double[] { 0.41, 0.18, 0.37 });
        plot.Axes.Bottom.SetTicks([0, 1, 2], ["ROUGE-1", "ROUGE-2", "ROUGE-L"]);
        plot.Title("ROUGE (tuned)");
        plot.SavePng(path, 480, 300);
    }

    [Fact]
    public async Task PagesRenderRunsCurvesReportsCompareAndChat()
    {
        if (!File.Exists(Chromium)) throw new Xunit.Sdk.XunitException($"{Chromium} not found: apt-get install -y chromium (CI installs it)");
        var dir = Path.Combine(Path.GetTempPath(), "ts-dash-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var shots = Path.Combine(SharedAssets.RepoRoot, "artifacts", "dashboard");
        Directory.CreateDirectory(shots);
        try
        {
            MakePlot(Path.Combine(dir, "plot.png"));
            var registry = new RunRegistry(Path.Combine(dir, "registry.db"));
            long[] ids = new long[2];
            foreach (var (lr, i) in new[] { ("0.2", 0), ("0.1", 1) })
            {
                File.WriteAllText(Path.Combine(dir, "pipeline.yaml"), Pipeline(lr));
                var p = PipelineParser.Load(Path.Combine(dir, "pipeline.yaml"));
                var runner = new PipelineRunner(p, new PipelineRunOptions { Tool = ["true"], ToolVersion = "test", Registry = registry });
                Assert.True(await runner.RunAsync());
                ids[i] = runner.RunId;
            }
            // A standalone training run still in progress: its metrics.jsonl grows while the page is open.
            var liveDir = Path.Combine(dir, "live-train");
            Directory.CreateDirectory(liveDir);
            long live = registry.StartTrainingRun("live-train", liveDir, [new("training.learning_rate", "2e-4")], "test");

            await using var server = new DashboardServer(new DashboardOptions { RegistryPath = registry.Path, Port = 0, Chat = new EchoChatBackend(), PollSeconds = 0.2 });
            await server.StartAsync();
            Assert.StartsWith("http://127.0.0.1:", server.Url);

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox", "--disable-gpu"] });
            var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
            var errors = new List<string>();
            page.Console += (_, m) => { if (m.Type == "error") errors.Add($"{page.Url}: {m.Text}"); };
            page.PageError += (_, e) => errors.Add($"{page.Url}: {e}");

            await page.GotoAsync(server.Url + "/");
            Assert.Equal(3, await page.Locator("#runs tr").CountAsync() - 1);
            Assert.Contains("abstracts-demo", await page.InnerTextAsync("#runs"));
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "runs.png"), FullPage = true });

            await page.GotoAsync($"{server.Url}/runs/{ids[0]}");
            Assert.Equal(4, await page.Locator("#dag g.node").CountAsync());
            Assert.Equal("succeeded", await page.GetAttributeAsync("#dag g[data-step=train]", "data-status"));
            await page.WaitForSelectorAsync("canvas[data-metric=loss]");
            await page.WaitForSelectorAsync("canvas[data-metric=eval_loss]");
            Assert.Contains("rougeL", await page.InnerTextAsync(".report"));
            Assert.True(await page.EvalOnSelectorAsync<bool>("img.plot", "i => i.complete && i.naturalWidth > 0"), "the report plot loads");
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "run.png"), FullPage = true });

            await page.ClickAsync("#step-train a");
            Assert.Contains("attempt 1", await page.InnerTextAsync("#log"));
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "log.png") });

            await page.GotoAsync($"{server.Url}/compare?ids={ids[0]}&ids={ids[1]}");
            var compare = await page.InnerTextAsync("#compare");
            Assert.Contains("train.loss", compare);
            await page.WaitForSelectorAsync("canvas[data-metric=loss]");
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "compare.png"), FullPage = true });

            // Live: rows appended to the running training's metrics.jsonl reach the chart through server-sent events.
            await page.GotoAsync($"{server.Url}/runs/{live}");
            Assert.Equal(0, await page.Locator("canvas[data-metric=loss]").CountAsync());
            await File.AppendAllTextAsync(Path.Combine(liveDir, "metrics.jsonl"), "{\"step\": 1, \"loss\": 2.5}\n{\"step\": 2, \"loss\": 2.1}\n{\"step\": 3, \"loss\": 1.7}\n");
            await page.WaitForSelectorAsync("canvas[data-metric=loss]", new() { Timeout = 10_000 });
            Assert.Equal("(live)", await page.InnerTextAsync("#live"));
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "live.png"), FullPage = true });
            registry.FinishTrainingRun(live, "completed", liveDir);

            await page.GotoAsync(server.Url + "/playground");
            Assert.Equal("echo-test-model", await page.InnerTextAsync("#model"));
            await page.FillAsync("#prompt", "hello");
            await page.ClickAsync("#send");
            await page.WaitForSelectorAsync(".msg.assistant");
            Assert.Equal("echo: olleh", await page.InnerTextAsync(".msg.assistant"));
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "playground.png") });

            Assert.True(errors.Count == 0, string.Join("\n", errors));
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task FilesOutsideTheRunAreNotServedAndServerBindsLoopback()
    {
        var dir = Path.Combine(Path.GetTempPath(), "ts-dash-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            var registry = new RunRegistry(Path.Combine(dir, "registry.db"));
            long id = registry.StartTrainingRun("x", dir, [], "test");
            await using var server = new DashboardServer(new DashboardOptions { RegistryPath = registry.Path, Port = 0 });
            await server.StartAsync();
            Assert.StartsWith("http://127.0.0.1:", server.Url);
            using var http = new HttpClient();
            var r = await http.GetAsync($"{server.Url}/runs/{id}/file?path={Uri.EscapeDataString("/etc/passwd")}");
            Assert.Equal(System.Net.HttpStatusCode.NotFound, r.StatusCode);
            var chat = await http.PostAsync($"{server.Url}/api/chat", new StringContent("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, chat.StatusCode);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task GeneratorBackendAnswersWithTheTinyModel()
    {
        var model = SharedAssets.Require("models/tinystories-656k");
        IChatBackend chat = new GeneratorChatBackend(model, null);
        var text = await chat.ChatAsync([new ChatMessage("user", "Once upon a time")], 8, 0, CancellationToken.None);
        Assert.False(string.IsNullOrWhiteSpace(text));
    }
}
