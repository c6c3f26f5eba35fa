// Learning-rate schedules by their transformers.SchedulerType names (linear, cosine, …); the curves live in Nn.Optim.LrSchedule.
namespace TuneSharp.Training;

/// <summary>lr_scheduler_type values; written in YAML as snake_case (cosine_with_restarts, constant_with_warmup).</summary>
public enum SchedulerType
{
    Linear,
    Cosine,
    CosineWithRestarts,
    Polynomial,
    Constant,
    ConstantWithWarmup,
}
