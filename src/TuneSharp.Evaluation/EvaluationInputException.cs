// Bad evaluation input (predictions file, eval.yaml, missing references): names the file, line or key and a fix.
namespace TuneSharp.Evaluation;

public sealed class EvaluationInputException(string message, ExitCode exitCode = ExitCode.InputFormat) : TuneSharpException(message)
{
    public override ExitCode ExitCode { get; } = exitCode;
}
