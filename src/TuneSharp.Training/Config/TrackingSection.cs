// `tracking:` section of a run config: the logging keys, kept apart from training for configs written that way.
using System.ComponentModel;

namespace TuneSharp.Training.Config;

/// <summary>Each key, when set, overrides its training.* twin (the twins are what the trainer reads).</summary>
public sealed class TrackingSection
{
    [Description("Same as training.run_name (wins over it when set).")]
    public string? RunName { get; set; }

    [Description("Same as training.logging_dir (wins over it when set); relative to the config file.")]
    public string? LoggingDir { get; set; }

    [Description("Same as training.report_to (wins over it when set).")]
    public List<string>? ReportTo { get; set; }
}
