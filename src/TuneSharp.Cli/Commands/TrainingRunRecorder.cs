// Records a `tunesharp train` started outside a pipeline in the run registry (parameters, then metrics and artifacts at the end).
using TuneSharp.Pipelines.Registry;

namespace TuneSharp.Cli.Commands;

/// <summary>
/// Off inside a pipeline (the pipeline run records the step) and when TUNESHARP_REGISTRY is "off". A registry that
/// cannot be opened only warns: recording must never stop a training run.
/// </summary>
internal sealed class TrainingRunRecorder
{
    private readonly RunRegistry? _registry;
    private readonly long _id;
    private readonly string _outputDir;

    private TrainingRunRecorder(RunRegistry? registry, long id, string outputDir) => (_registry, _id, _outputDir) = (registry, id, outputDir);

    public static TrainingRunRecorder Start(string outputDir, string configYaml)
    {
        var env = Environment.GetEnvironmentVariable("TUNESHARP_REGISTRY");
        if (Environment.GetEnvironmentVariable("TUNESHARP_PIPELINE_RUN") != null || env is "off" or "none")
            return new TrainingRunRecorder(null, 0, outputDir);
        try
        {
            var registry = new RunRegistry(RunRegistry.DefaultPath);
            var full = Path.GetFullPath(outputDir);
            long id = registry.StartTrainingRun(Path.GetFileName(full.TrimEnd('/')), full, RegistryParameters.FlattenYaml(configYaml), ToolInfo.Version());
            return new TrainingRunRecorder(registry, id, full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            Console.Error.WriteLine($"warning: run registry unavailable ({e.Message}); this run is not recorded");
            return new TrainingRunRecorder(null, 0, outputDir);
        }
    }

    public void Finish(string status)
    {
        if (_registry == null) return;
        try { _registry.FinishTrainingRun(_id, status, _outputDir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            Console.Error.WriteLine($"warning: could not record the run's end in the registry ({e.Message})");
        }
    }
}
