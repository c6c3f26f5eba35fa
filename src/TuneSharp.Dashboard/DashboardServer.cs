// `tunesharp ui`: ASP.NET Core over the run registry — runs, DAGs with step states and logs, live curves (SSE), reports, compare, chat.
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TuneSharp.Dashboard.Chat;
using TuneSharp.Dashboard.Pages;
using TuneSharp.Pipelines.Registry;
using static TuneSharp.Dashboard.Pages.Html;

namespace TuneSharp.Dashboard;

/// <summary>
/// Server-rendered HTML (no framework on the client), a little JavaScript for the charts, the event stream and the chat.
/// Files (logs, plots) are served only when the registry lists them for that run, so the server never reads arbitrary paths.
/// </summary>
public sealed class DashboardServer(DashboardOptions options) : IAsyncDisposable
{
    private WebApplication? _app;
    private readonly RunRegistry _registry = new(options.RegistryPath);

    /// <summary>The address it listens on, e.g. http://127.0.0.1:7860.</summary>
    public string Url { get; private set; } = "";

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://{options.Host}:{options.Port}");
        var app = builder.Build();
        Map(app);
        await app.StartAsync(cancellationToken);
        Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _app = app;
    }

    public async Task WaitForShutdownAsync(CancellationToken cancellationToken) { if (_app != null) await _app.WaitForShutdownAsync(cancellationToken); }

    public async ValueTask DisposeAsync()
    {
        if (_app != null) { await _app.StopAsync(); await _app.DisposeAsync(); }
    }

    private static IResult Page(string title, string body, string script = "") => Results.Content(Layout(title, body, script), "text/html; charset=utf-8");

    private void Map(WebApplication app)
    {
        app.MapGet("/", () => Page("Runs", RunsPage()));
        app.MapGet("/runs/{id:long}", (long id) => _registry.GetRun(id) is { } d ? Page($"Run {id}", RunPage(d), Charts.Script + LiveScript(id)) : Results.NotFound());
        app.MapGet("/runs/{id:long}/steps/{step}/log", (long id, string step) =>
        {
            var d = _registry.GetRun(id);
            var s = d?.Steps.FirstOrDefault(x => x.Name == step);
            if (s == null) return Results.NotFound();
            string text = s.LogPath != null && File.Exists(s.LogPath) ? Tail(s.LogPath, 256 * 1024) : "(no log yet)";
            return Page($"{step} log", $"<h2>Run {id} · step {E(step)} · log</h2><p>{Badge(s.Status)} <a href=\"/runs/{id}\">back to the run</a></p><pre id=\"log\">{E(text)}</pre>");
        });
        app.MapGet("/runs/{id:long}/file", (long id, string path) =>
        {
            var d = _registry.GetRun(id);
            bool listed = d != null && (d.Artifacts.Any(a => a.Path == path) || d.Reports.Any(r => r.Plots.Contains(path)));
            if (!listed || !File.Exists(path)) return Results.NotFound();
            var type = path.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? "image/png" : "text/plain; charset=utf-8";
            return Results.File(path, type);
        });
        app.MapGet("/api/runs/{id:long}/metrics", (long id, long? after) => Results.Json(_registry.MetricsSince(id, after ?? 0)));
        app.MapGet("/runs/{id:long}/events", (long id, HttpContext ctx) => Events(id, ctx));
        app.MapGet("/compare", (HttpContext ctx) => Page("Compare", ComparePage(ctx.Request.Query["ids"].Select(s => long.TryParse(s, out var v) ? v : 0).Where(v => v > 0).ToList()), Charts.Script + CompareScript(ctx)));
        app.MapGet("/playground", () => Page("Playground", PlaygroundPage(), PlaygroundScript));
        app.MapPost("/api/chat", async (HttpContext ctx) =>
        {
            if (options.Chat == null) return Results.Problem("no model: start `tunesharp ui --model DIR [--adapter DIR]`", statusCode: 503);
            ChatRequest? req;
            try { req = await JsonSerializer.DeserializeAsync<ChatRequest>(ctx.Request.Body, JsonWeb, ctx.RequestAborted); }
            catch (JsonException) { return Results.BadRequest(new { error = "body must be {\"messages\": [{\"role\": \"user\", \"content\": \"…\"}]}" }); }
            if (req?.Messages is not { Count: > 0 } || req.Messages.Count > 64 || req.Messages.Any(m => m.Content.Length > 16_000))
                return Results.BadRequest(new { error = "1–64 messages of at most 16,000 characters each" });
            var text = await options.Chat.ChatAsync(req.Messages, req.MaxNewTokens ?? 64, req.Temperature ?? 0, ctx.RequestAborted);
            return Results.Json(new { content = text });
        });
    }

    private static readonly JsonSerializerOptions JsonWeb = new(JsonSerializerDefaults.Web);

    private sealed record ChatRequest(List<ChatMessage> Messages, int? MaxNewTokens, float? Temperature);

    private string RunsPage()
    {
        var runs = _registry.ListRuns(100);
        var sb = new StringBuilder("<h2>Runs</h2>");
        sb.Append($"<p>Registry: <code>{E(_registry.Path)}</code>. Tick runs and press compare.</p><form action=\"/compare\" method=\"get\">");
        sb.Append("<table id=\"runs\"><tr><th></th><th>id</th><th>name</th><th>kind</th><th>status</th><th>started (UTC)</th><th>duration</th><th>final loss</th></tr>");
        foreach (var r in runs)
        {
            var d = _registry.GetRun(r.Id)!;
            var loss = d.FinalMetrics.Where(kv => kv.Key.EndsWith(".loss", StringComparison.Ordinal)).Select(kv => kv.Value.ToString("0.####", CultureInfo.InvariantCulture)).FirstOrDefault() ?? "";
            sb.Append($"<tr><td><input type=\"checkbox\" name=\"ids\" value=\"{r.Id}\"></td><td><a href=\"/runs/{r.Id}\">{r.Id}</a></td><td><a href=\"/runs/{r.Id}\">{E(r.Name)}</a></td>"
                + $"<td>{E(r.Kind)}</td><td>{Badge(r.Status)}</td><td>{r.Started.UtcDateTime:yyyy-MM-dd HH:mm:ss}</td><td>{Duration(r.Started, r.Ended)}</td><td>{loss}</td></tr>");
        }
        sb.Append("</table><button type=\"submit\">compare</button></form>");
        if (runs.Count == 0) sb.Append("<p>No runs yet: <code>tunesharp pipeline run pipeline.yaml</code> or <code>tunesharp train …</code> records them.</p>");
        return sb.ToString();
    }

    private string RunPage(RunDetail d)
    {
        var r = d.Run;
        var sb = new StringBuilder($"<h2>Run {r.Id}: {E(r.Name)} {Badge(r.Status)}</h2>");
        sb.Append($"<p>{E(r.Kind)} run on {E(r.Executor ?? "local")}, started {r.Started.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC, {Duration(r.Started, r.Ended)}");
        if (r.Source != null) sb.Append($"<br>pipeline <code>{E(r.Source)}</code>");
        if (r.WorkDir != null) sb.Append($"<br>folder <code>{E(r.WorkDir)}</code>");
        sb.Append("</p><h3>Steps</h3>").Append(DagSvg.Render(d.Steps));
        sb.Append("<table id=\"steps\"><tr><th>step</th><th>kind</th><th>status</th><th>attempts</th><th>time</th><th>needs</th><th>log</th></tr>");
        foreach (var s in d.Steps)
            sb.Append($"<tr id=\"step-{E(s.Name)}\"><td>{E(s.Name)}</td><td>{E(s.Kind)}</td><td class=\"status\">{Badge(s.Status)}</td><td>{s.Attempts}</td><td>{Duration(s.Started, s.Ended)}</td>"
                + $"<td>{E(string.Join(", ", s.Needs))}</td><td>{(s.LogPath != null ? $"<a href=\"/runs/{r.Id}/steps/{Uri.EscapeDataString(s.Name)}/log\">log</a>" : "")}</td></tr>");
        sb.Append("</table><h3>Curves <small id=\"live\"></small></h3><div id=\"charts\" class=\"card\">no metrics recorded</div>");
        foreach (var rep in d.Reports)
        {
            sb.Append($"<h3>Eval report ({E(rep.Step)})</h3><div class=\"card report\">");
            sb.Append(ReportTable(rep.Summary));
            foreach (var plot in rep.Plots) sb.Append($"<img class=\"plot\" alt=\"{E(Path.GetFileName(plot))}\" src=\"/runs/{r.Id}/file?path={Uri.EscapeDataString(plot)}\">");
            sb.Append("</div>");
        }
        if (d.Parameters.Count > 0)
        {
            sb.Append("<h3>Parameters</h3><table id=\"params\"><tr><th>key</th><th>value</th></tr>");
            foreach (var (k, v) in d.Parameters) sb.Append($"<tr><td>{E(k)}</td><td><code>{E(v)}</code></td></tr>");
            sb.Append("</table>");
        }
        sb.Append($"<h3>Artifacts</h3><p>{d.Artifacts.Count} files, {d.Artifacts.Sum(a => a.Bytes) / 1024.0:0.#} KiB</p><table><tr><th>step</th><th>file</th><th>bytes</th></tr>");
        foreach (var a in d.Artifacts.Take(200)) sb.Append($"<tr><td>{E(a.Step)}</td><td>{E(a.Path)}</td><td>{a.Bytes}</td></tr>");
        return sb.Append("</table>").ToString();
    }

    /// <summary>Numbers of a report.json as a table (flattened keys); the raw JSON when it has none.</summary>
    private static string ReportTable(string json)
    {
        var rows = new List<(string, string)>();
        void Walk(JsonElement e, string prefix)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object: foreach (var p in e.EnumerateObject()) Walk(p.Value, prefix.Length == 0 ? p.Name : $"{prefix}.{p.Name}"); break;
                case JsonValueKind.Number: rows.Add((prefix, e.GetDouble().ToString("0.####", CultureInfo.InvariantCulture))); break;
                case JsonValueKind.String when rows.Count < 200 && e.GetString()!.Length < 80: rows.Add((prefix, e.GetString()!)); break;
            }
        }
        try { using var doc = JsonDocument.Parse(json); Walk(doc.RootElement, ""); }
        catch (JsonException) { return $"<pre>{E(json)}</pre>"; }
        if (rows.Count == 0) return $"<pre>{E(json)}</pre>";
        return "<table><tr><th>metric</th><th>value</th></tr>" + string.Concat(rows.Take(200).Select(r => $"<tr><td>{E(r.Item1)}</td><td>{E(r.Item2)}</td></tr>")) + "</table>";
    }

    /// <summary>Loads all metrics, then follows /events: new metric rows and step states as they are recorded.</summary>
    private static string LiveScript(long id) => $$$"""
        const series={};
        function add(rows){for(const m of rows){const k='{{{id}}} · '+m.step;(series[k]??={});(series[k][m.name]??=[]).push([m.trainStep,m.value]);}}
        fetch('/api/runs/{{{id}}}/metrics').then(r=>r.json()).then(rows=>{add(rows);if(rows.length)drawCharts(document.getElementById('charts'),series);
          const es=new EventSource('/runs/{{{id}}}/events?after='+(rows.length?rows[rows.length-1].rowId:0));
          es.addEventListener('metrics',e=>{add(JSON.parse(e.data));drawCharts(document.getElementById('charts'),series);});
          es.addEventListener('status',e=>{const s=JSON.parse(e.data);document.getElementById('live').textContent=s.run==='running'?'(live)':'';
            for(const [name,st] of Object.entries(s.steps)){const row=document.getElementById('step-'+name);
              if(row){const b=row.querySelector('.status .badge');if(b){b.className='badge '+st;b.textContent=st;}}
              const n=document.querySelector('#dag g[data-step="'+name+'"]');if(n&&n.dataset.status!==st){n.dataset.status=st;}}
            if(s.run!=='running')es.close();});
        });
        """;

    /// <summary>Server-sent events: "metrics" with new rows, "status" with step states; a standalone training run's metrics.jsonl is synced as it grows.</summary>
    private async Task Events(long id, HttpContext ctx)
    {
        ctx.Response.Headers.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        long after = long.TryParse(ctx.Request.Query["after"], out var a) ? a : 0;
        var ct = ctx.RequestAborted;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var d = _registry.GetRun(id);
                if (d == null) return;
                if (d.Run.Kind == "train" && d.Run.Status == "running" && d.Run.WorkDir != null)
                    _registry.SyncMetrics(id, "train", Path.Combine(d.Run.WorkDir, "metrics.jsonl"));
                var rows = _registry.MetricsSince(id, after);
                if (rows.Count > 0)
                {
                    after = rows[^1].RowId;
                    await ctx.Response.WriteAsync($"event: metrics\ndata: {JsonSerializer.Serialize(rows, JsonWeb)}\n\n", ct);
                }
                var status = new { run = d.Run.Status, steps = d.Steps.ToDictionary(s => s.Name, s => s.Status) };
                await ctx.Response.WriteAsync($"event: status\ndata: {JsonSerializer.Serialize(status, JsonWeb)}\n\n", ct);
                await ctx.Response.Body.FlushAsync(ct);
                if (d.Run.Status != "running") return;
                await Task.Delay(TimeSpan.FromSeconds(options.PollSeconds), ct);
            }
        }
        catch (OperationCanceledException) { } // the browser went away
    }

    private string ComparePage(IReadOnlyList<long> ids)
    {
        var sb = new StringBuilder("<h2>Compare runs</h2>");
        var runs = ids.Select(_registry.GetRun).Where(d => d != null).Select(d => d!).ToList();
        if (runs.Count < 2)
        {
            sb.Append("<p>Pick two or more runs:</p><form method=\"get\"><table><tr><th></th><th>id</th><th>name</th><th>status</th></tr>");
            foreach (var r in _registry.ListRuns(100))
                sb.Append($"<tr><td><input type=\"checkbox\" name=\"ids\" value=\"{r.Id}\"></td><td>{r.Id}</td><td>{E(r.Name)}</td><td>{Badge(r.Status)}</td></tr>");
            return sb.Append("</table><button type=\"submit\">compare</button></form>").ToString();
        }
        var table = RunComparison.Build(runs);
        sb.Append("<table id=\"compare\"><tr><th></th>").Append(string.Concat(runs.Select(r => $"<th><a href=\"/runs/{r.Run.Id}\">run {r.Run.Id}</a></th>"))).Append("</tr>");
        foreach (var row in table.Rows)
            sb.Append($"<tr{(row.IsMetric ? " class=\"metric\"" : "")}><td>{E(row.Key)}</td>").Append(string.Concat(row.Values.Select(v => $"<td>{E(v ?? "–")}</td>"))).Append("</tr>");
        return sb.Append("</table><h3>Curves</h3><div id=\"charts\" class=\"card\"></div>").ToString();
    }

    private string CompareScript(HttpContext ctx)
    {
        var ids = ctx.Request.Query["ids"].Select(s => long.TryParse(s, out var v) ? v : 0).Where(v => v > 0).ToList();
        if (ids.Count < 2) return "";
        return $$$"""
            const series={};
            Promise.all({{{JsonSerializer.Serialize(ids)}}}.map(id=>fetch('/api/runs/'+id+'/metrics').then(r=>r.json()).then(rows=>{
              for(const m of rows){const k='run '+id+' · '+m.step;(series[k]??={});(series[k][m.name]??=[]).push([m.trainStep,m.value]);}})))
              .then(()=>drawCharts(document.getElementById('charts'),series));
            """;
    }

    private string PlaygroundPage() =>
        "<h2>Chat playground</h2>"
        + (options.Chat == null
            ? "<p>No model loaded: start <code>tunesharp ui --model DIR [--adapter DIR]</code>.</p>"
            : $"<p>Model: <code id=\"model\">{E(options.Chat.Describe())}</code></p>")
        + "<div class=\"chat\"><div id=\"messages\"></div><textarea id=\"prompt\" placeholder=\"Ask something…\"></textarea>"
        + "<p>max new tokens <input id=\"max\" type=\"number\" value=\"48\" min=\"1\" max=\"1024\"> temperature <input id=\"temp\" type=\"number\" value=\"0\" step=\"0.1\" min=\"0\">"
        + " <button id=\"send\">send</button> <button id=\"reset\">reset</button></p></div>";

    private const string PlaygroundScript = """
        const history=[];
        function show(){const m=document.getElementById('messages');m.innerHTML='';for(const x of history){const d=document.createElement('div');d.className='msg '+x.role;d.textContent=x.content;m.appendChild(d);}}
        document.getElementById('reset').onclick=()=>{history.length=0;show();};
        document.getElementById('send').onclick=async()=>{const p=document.getElementById('prompt');if(!p.value.trim())return;
          history.push({role:'user',content:p.value});p.value='';show();
          const r=await fetch('/api/chat',{method:'POST',headers:{'Content-Type':'application/json'},body:JSON.stringify({messages:history,
            maxNewTokens:+document.getElementById('max').value,temperature:+document.getElementById('temp').value})});
          const j=await r.json();history.push({role:'assistant',content:r.ok?j.content:('error: '+(j.detail||j.error))});show();};
        """;

    private static string Tail(string path, int bytes)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (f.Length > bytes) f.Seek(-bytes, SeekOrigin.End);
        using var r = new StreamReader(f, Encoding.UTF8);
        return r.ReadToEnd();
    }
}
