// A pipeline file or run problem: names the pipeline file, its line and the step, and says how to fix it.
namespace TuneSharp.Pipelines;

public sealed class PipelineException(string message, ExitCode exitCode = ExitCode.Config, Exception? inner = null) : TuneSharpException(message, inner)
{
    public override ExitCode ExitCode { get; } = exitCode;
}
