// Runs each step as a child process on this machine, stdout and stderr appended to the step's log file.
using System.Diagnostics;
using System.Text;

namespace TuneSharp.Pipelines.Running;

public sealed class LocalExecutor : IStepExecutor
{
    public string Name => "local";

    public async Task<int> RunAsync(StepJob job, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(job.Argv[0])
        {
            WorkingDirectory = job.WorkingDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in job.Argv.Skip(1)) psi.ArgumentList.Add(a);
        foreach (var (k, v) in job.Env) psi.Environment[k] = v;
        await using var log = new StreamWriter(new FileStream(job.LogPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite), new UTF8Encoding(false)) { AutoFlush = true };
        var gate = new object();
        void Write(string? line) { if (line != null) lock (gate) log.WriteLine(line); }
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        try { process.Start(); }
        catch (System.ComponentModel.Win32Exception e)
        {
            Write($"cannot start '{job.Argv[0]}': {e.Message}");
            return 127;
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = job.Timeout > TimeSpan.Zero ? new CancellationTokenSource(job.Timeout) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await process.WaitForExitAsync(linked.Token);
        }
        catch (OperationCanceledException)
        {
            // The whole tree: a train step's own children (none today) must not outlive it.
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync(CancellationToken.None);
            if (cancellationToken.IsCancellationRequested) throw;
            Write($"step timed out after {job.Timeout.TotalSeconds:0.#} s");
            return 124;
        }
        process.WaitForExit(); // drains the redirected streams
        return process.ExitCode;
    }
}
