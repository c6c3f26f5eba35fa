// The judge endpoint could not be used at all (unreachable, rejected every request); cached judgments are kept.
namespace TuneSharp.Evaluation.Judge;

public sealed class JudgeException(string message, Exception? inner = null) : TuneSharpException(message, inner)
{
    public override ExitCode ExitCode => ExitCode.External;
}
