// `tracking:` section of a run config.
namespace TuneSharp.Training.Config;

public sealed class TrackingSection
{
    /// <summary>Name shown in logs; defaults to the output folder's name.</summary>
    public string? RunName { get; set; }

    /// <summary>TensorBoard folder; defaults to output_dir/runs.</summary>
    public string? LoggingDir { get; set; }

    /// <summary>Trackers: jsonl, tensorboard (console progress is always on). Overrides training.report_to.</summary>
    public List<string>? ReportTo { get; set; }
}
