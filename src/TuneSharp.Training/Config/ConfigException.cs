// A configuration problem: names the file, line and key, and suggests a fix.
namespace TuneSharp.Training.Config;

public sealed class ConfigException(string message, Exception? inner = null) : TuneSharpException(message, inner)
{
    public override ExitCode ExitCode => ExitCode.Config;
}
