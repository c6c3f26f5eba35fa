// Exclusive lock on a run's output folder (flock on output_dir/.tunesharp.lock, released by the kernel when the holder dies) plus a holder note naming PID/host/start.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using TuneSharp.Tensors.IO;

namespace TuneSharp.Training.Checkpoints;

/// <summary>
/// One training per output folder (issue 14: two runs into one folder deleted each other's checkpoints and both exited 0).
/// <para>The lock is an exclusive open of <c>.tunesharp.lock</c> (.NET maps <see cref="FileShare.None"/> to
/// <c>flock(LOCK_EX)</c> on Unix and to a share-mode lock on Windows), so the operating system drops it when the holder
/// exits in any way, kill -9 included: a lock is never stale by itself. Beside it, <c>.tunesharp.lock.json</c> names
/// the holder (PID, host, start time, command line) for the message the next run prints; a note left by a holder that
/// died is reported as stale and replaced.</para>
/// </summary>
public sealed class RunLock : IDisposable
{
    public const string LockFileName = ".tunesharp.lock";
    public const string HolderFileName = ".tunesharp.lock.json";

    private FileStream? _stream;

    private RunLock(string folder, FileStream stream, string? staleNote)
    {
        Folder = folder;
        _stream = stream;
        StaleNote = staleNote;
    }

    /// <summary>The locked output folder (full path).</summary>
    public string Folder { get; }

    /// <summary>When the previous holder died without releasing: a sentence naming it (PID, host, start); else null.</summary>
    public string? StaleNote { get; }

    public bool IsHeld => _stream != null;

    /// <summary>
    /// Takes the lock of <paramref name="outputDir"/> (creating the folder) or throws <see cref="RunLockedException"/>
    /// naming the live holder.
    /// </summary>
    public static RunLock Acquire(string outputDir)
    {
        var folder = Path.GetFullPath(outputDir);
        try { Directory.CreateDirectory(folder); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunLockedException($"output_dir '{folder}' cannot be created: {e.Message}", e);
        }
        var lockPath = Path.Combine(folder, LockFileName);
        var holderPath = Path.Combine(folder, HolderFileName);
        FileStream stream;
        try
        {
            stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new RunLockedException($"output_dir '{folder}' is in use by another training: {DescribeHolder(holderPath) ?? "a process that did not leave its name"}. "
                + "Wait for it to finish, stop it, or choose another output_dir.", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new RunLockedException($"output_dir '{folder}' is not writable ({e.Message}); choose another output_dir or fix its permissions", e);
        }

        string? stale = null;
        if (File.Exists(holderPath) && DescribeHolder(holderPath) is { } previous)
            stale = $"output_dir '{folder}' was locked by {previous}, which is no longer running (killed or crashed); its lock is stale and has been taken over";
        try
        {
            AtomicFile.WriteAllText(holderPath, new JsonObject
            {
                ["pid"] = Environment.ProcessId,
                ["host"] = Environment.MachineName,
                ["started_utc"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "Z",
                ["command"] = Environment.CommandLine,
            }.ToJsonString());
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        return new RunLock(folder, stream, stale);
    }

    /// <summary>"PID 123 on host h (started 2026-01-01 10:00:00Z: tunesharp train …)", or null when no readable note exists.</summary>
    public static string? DescribeHolder(string holderPath)
    {
        try
        {
            if (JsonNode.Parse(File.ReadAllText(holderPath)) is not JsonObject o) return null;
            var pid = o["pid"]?.ToString() ?? "?";
            var host = o["host"]?.ToString() ?? "?";
            var started = o["started_utc"]?.ToString() ?? "?";
            var command = o["command"]?.ToString();
            if (command is { Length: > 120 }) command = command[..117] + "…";
            return $"PID {pid} on host {host} (started {started}{(string.IsNullOrEmpty(command) ? "" : $": {command}")})";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Removes the holder note and releases the lock (the empty lock file stays: deleting it would let a racing opener lock an unlinked file).</summary>
    public void Dispose()
    {
        if (_stream == null) return;
        try { File.Delete(Path.Combine(Folder, HolderFileName)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        _stream.Dispose();
        _stream = null;
    }
}
