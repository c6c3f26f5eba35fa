// Writing run output failed (disk full, permissions); says what was kept so nothing already written is lost.
namespace TuneSharp.Training.Sft;

public sealed class OutputWriteException(string message, Exception? inner = null) : TuneSharpException(message, inner)
{
    public override ExitCode ExitCode => ExitCode.Output;

    /// <summary>ENOSPC (Linux 28) / ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL, or the runtime's "No space left on device" text.</summary>
    public static bool IsDiskFull(Exception e) =>
        e is IOException io && (OperatingSystem.IsWindows() ? (io.HResult & 0xFFFF) is 39 or 112 : io.HResult == 28
            || io.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase));
}
