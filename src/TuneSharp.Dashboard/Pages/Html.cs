// Small HTML helpers for the server-rendered pages: encoding, the shared layout and status badges.
using System.Net;

namespace TuneSharp.Dashboard.Pages;

internal static class Html
{
    public static string E(string? s) => WebUtility.HtmlEncode(s ?? "");

    public static string Layout(string title, string body, string script = "") => $$"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>{{E(title)}} · TuneSharp</title>
        <link rel="icon" href="data:,">
        <style>
        body{font-family:system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7fb}
        header{background:#1d2330;color:#fff;padding:10px 24px;display:flex;gap:24px;align-items:center}
        header a{color:#cfe0ff;text-decoration:none} header b{font-size:18px}
        main{padding:16px 24px;max-width:1200px}
        table{border-collapse:collapse;background:#fff;width:100%;margin:8px 0 16px}
        th,td{border-bottom:1px solid #e3e6ef;padding:6px 10px;text-align:left;font-size:14px;vertical-align:top}
        th{background:#eef1f8}
        .badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;color:#fff}
        .succeeded,.completed{background:#2e8b57}.cached{background:#6b7fa8}.running{background:#d98e04}.failed{background:#c0392b}
        .skipped,.pending{background:#999}.interrupted{background:#8e44ad}.early_stopped{background:#2e8b57}
        pre{background:#fff;border:1px solid #e3e6ef;padding:10px;overflow:auto;max-height:600px;font-size:12px}
        .card{background:#fff;border:1px solid #e3e6ef;padding:12px;margin:8px 0 16px}
        canvas{background:#fff;border:1px solid #e3e6ef}
        img.plot{max-width:560px;border:1px solid #e3e6ef;margin:4px}
        .chat{max-width:800px} .msg{padding:8px;margin:6px 0;border-radius:6px;white-space:pre-wrap}
        .user{background:#e8f0ff}.assistant{background:#fff;border:1px solid #e3e6ef}
        textarea{width:100%;height:70px} button{padding:6px 14px}
        </style></head><body>
        <header><b>TuneSharp</b><a href="/">Runs</a><a href="/compare">Compare</a><a href="/playground">Playground</a></header>
        <main>{{body}}</main>
        <script>{{script}}</script>
        </body></html>
        """;

    public static string Badge(string status) => $"<span class=\"badge {E(status)}\">{E(status)}</span>";

    public static string Duration(DateTimeOffset? a, DateTimeOffset? b) => a is null ? "" : b is null ? "running" : $"{(b.Value - a.Value).TotalSeconds:0.0} s";
}
