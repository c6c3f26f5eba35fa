// Invalid options, data or output folder detected before any training step runs.
namespace TuneSharp.Training.Sft;

public sealed class TrainingSetupException(string message) : TuneSharpException(message)
{
    public override ExitCode ExitCode => ExitCode.Training;
}
