// Runs each step as a Slurm batch job (sbatch with the step's CPUs and memory); state from squeue, then sacct or scontrol.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using TuneSharp.Pipelines.Running;

namespace TuneSharp.Pipelines.Slurm;

/// <summary>
/// The job script exports the step's environment and execs its command line in the pipeline folder, so the work folder
/// must be on a file system the compute nodes share (always true on a single-node cluster). The job's output file is
/// appended to the step log when the job ends. Pipeline <c>slurm:</c> options: <c>partition</c>, <c>time</c>, <c>account</c>,
/// <c>qos</c>, <c>poll_seconds</c>.
/// </summary>
public sealed partial class SlurmExecutor(IReadOnlyDictionary<string, string> options) : IStepExecutor
{
    public string Name => "slurm";

    private TimeSpan Poll => TimeSpan.FromSeconds(options.TryGetValue("poll_seconds", out var p) ? double.Parse(p, CultureInfo.InvariantCulture) : 1);

    public async Task<int> RunAsync(StepJob job, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(Path.GetDirectoryName(job.LogPath)!, "slurm");
        Directory.CreateDirectory(dir);
        string tag = $"{job.Name}-{Guid.NewGuid():N}";
        string script = Path.Combine(dir, tag + ".sh"), output = Path.Combine(dir, tag + ".out");
        File.WriteAllText(script, Script(job, output));
        var (code, stdout, stderr) = await Exec("sbatch", ["--parsable", script], CancellationToken.None);
        if (code != 0)
        {
            File.AppendAllText(job.LogPath, $"sbatch failed ({code}): {stderr}{stdout}\n");
            return code == 0 ? 1 : code;
        }
        string id = stdout.Trim().Split(';')[0];
        File.AppendAllText(job.LogPath, $"slurm job {id} submitted\n");
        try
        {
            while (true)
            {
                await Task.Delay(Poll, cancellationToken);
                var (_, q, _) = await Exec("squeue", ["-h", "-j", id, "-o", "%T"], CancellationToken.None);
                var state = q.Trim();
                if (state.Length > 0 && state is not ("COMPLETED" or "FAILED" or "CANCELLED" or "TIMEOUT" or "OUT_OF_MEMORY" or "NODE_FAIL")) continue;
                int exit = await FinalExitCode(id);
                File.AppendAllText(job.LogPath, $"slurm job {id} finished with exit code {exit}\n");
                return exit;
            }
        }
        catch (OperationCanceledException)
        {
            await Exec("scancel", [id], CancellationToken.None);
            throw;
        }
        finally
        {
            if (File.Exists(output))
            {
                File.AppendAllText(job.LogPath, await File.ReadAllTextAsync(output, CancellationToken.None));
                File.Delete(output);
            }
            File.Delete(script);
        }
    }

    private string Script(StepJob job, string output)
    {
        var s = new StringBuilder("#!/bin/bash\n");
        s.Append($"#SBATCH --job-name=ts-{job.Name}\n#SBATCH --cpus-per-task={job.Threads}\n#SBATCH --output={output}\n#SBATCH --chdir={job.WorkingDir}\n#SBATCH --ntasks=1\n");
        if (job.MemoryBytes > 0) s.Append($"#SBATCH --mem={Math.Max(1, job.MemoryBytes >> 20)}M\n");
        foreach (var key in new[] { "partition", "time", "account", "qos" })
            if (options.TryGetValue(key, out var v)) s.Append($"#SBATCH --{key}={v}\n");
        if (job.Timeout > TimeSpan.Zero && !options.ContainsKey("time")) s.Append($"#SBATCH --time={Math.Max(1, (int)Math.Ceiling(job.Timeout.TotalMinutes))}\n");
        foreach (var (k, v) in job.Env) s.Append($"export {k}={Quote(v)}\n");
        s.Append("exec ").Append(string.Join(' ', job.Argv.Select(Quote))).Append('\n');
        return s.ToString();
    }

    private static string Quote(string a) => "'" + a.Replace("'", "'\\''") + "'";

    /// <summary>sacct when accounting is on; else scontrol (a finished job stays visible for MinJobAge seconds).</summary>
    private static async Task<int> FinalExitCode(string id)
    {
        var (code, acct, _) = await Exec("sacct", ["-j", id, "-X", "-n", "-P", "-o", "State,ExitCode"], CancellationToken.None);
        if (code == 0 && acct.Trim().Split('\n')[0].Split('|') is [var state, var exit] && exit.Contains(':'))
            return ParseExit(state.Trim(), exit.Trim());
        var (_, show, _) = await Exec("scontrol", ["show", "job", id], CancellationToken.None);
        var st = JobState().Match(show);
        var ex = ExitCodeField().Match(show);
        if (st.Success && ex.Success) return ParseExit(st.Groups[1].Value, ex.Groups[1].Value);
        return 1;
    }

    private static int ParseExit(string state, string exit)
    {
        var parts = exit.Split(':');
        int code = int.Parse(parts[0], CultureInfo.InvariantCulture), signal = parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : 0;
        if (signal != 0) return 128 + signal;
        return state.StartsWith("COMPLETED", StringComparison.Ordinal) ? code : Math.Max(code, 1);
    }

    [GeneratedRegex(@"JobState=(\S+)")]
    private static partial Regex JobState();

    [GeneratedRegex(@"\bExitCode=(\d+:\d+)")]
    private static partial Regex ExitCodeField();

    private static async Task<(int Code, string Stdout, string Stderr)> Exec(string file, IReadOnlyList<string> args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var o = p.StandardOutput.ReadToEndAsync(ct);
            var e = p.StandardError.ReadToEndAsync(ct);
            await p.WaitForExitAsync(ct);
            return (p.ExitCode, await o, await e);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new PipelineException($"the Slurm executor needs `{file}` on PATH ({ex.Message}); install slurm-client or use executor: local", ExitCode.External);
        }
    }
}
