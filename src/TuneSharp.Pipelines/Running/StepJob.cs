// One attempt of one step as an executor sees it: a command line, its environment, resources and log file.
namespace TuneSharp.Pipelines.Running;

public sealed record StepJob(
    string Name,
    IReadOnlyList<string> Argv,
    IReadOnlyDictionary<string, string> Env,
    string WorkingDir,
    string LogPath,
    int Threads,
    long MemoryBytes,
    TimeSpan Timeout);
