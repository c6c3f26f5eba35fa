// `tunesharp ui`: the web dashboard over the run registry (loopback by default), with a chat playground for --model/--adapter.
using System.CommandLine;
using System.Runtime.InteropServices;
using TuneSharp.Dashboard;
using TuneSharp.Dashboard.Chat;
using TuneSharp.Pipelines.Registry;

namespace TuneSharp.Cli.Commands;

[CliVerb(82)]
public static class UiCommand
{
    public static Command Create()
    {
        var registry = new Option<string?>("--registry") { Description = "Registry database (default: $TUNESHARP_REGISTRY or ~/.tunesharp/registry.db)" };
        var host = new Option<string>("--host") { DefaultValueFactory = _ => "127.0.0.1", Description = "Address to bind (loopback by default; anything else exposes your runs)" };
        var port = new Option<int>("--port") { DefaultValueFactory = _ => 7860, Description = "Port (0 = any free port)" };
        var model = new Option<string?>("--model") { Description = "Model folder for the chat playground" };
        var adapter = new Option<string?>("--adapter") { Description = "PEFT adapter folder for the playground (unmerged)" };
        var cmd = new Command("ui", "Web dashboard: runs and their DAGs, step logs, live loss/eval curves, eval reports, compare, chat playground");
        foreach (var o in new Option[] { registry, host, port, model, adapter }) cmd.Options.Add(o);
        cmd.SetAction(p => PipelineCommand.Guard(() =>
        {
            var m = p.GetValue(model);
            var server = new DashboardServer(new DashboardOptions
            {
                RegistryPath = p.GetValue(registry) ?? RunRegistry.DefaultPath,
                Host = p.GetValue(host)!,
                Port = p.GetValue(port),
                Chat = m != null ? new GeneratorChatBackend(m, p.GetValue(adapter)) : null,
            });
            using var cts = new CancellationTokenSource();
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cts.Cancel(); });
            server.StartAsync().GetAwaiter().GetResult();
            Console.Out.WriteLine($"dashboard on {server.Url} (Ctrl-C stops it)");
            try { Task.Delay(Timeout.Infinite, cts.Token).GetAwaiter().GetResult(); }
            catch (OperationCanceledException) { }
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return 0;
        }));
        return cmd;
    }
}
