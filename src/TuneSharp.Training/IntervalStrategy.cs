// When the trainer evaluates or saves (transformers.IntervalStrategy): never, every N steps, or at each epoch end.
namespace TuneSharp.Training;

/// <summary>eval_strategy / save_strategy values; written in YAML as no, steps, epoch.</summary>
public enum IntervalStrategy
{
    No,
    Steps,
    Epoch,
}
