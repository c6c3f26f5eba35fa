// Limits of the continuous-batching scheduler: rows decoded together, per-sequence context, KV slots and queue length.
namespace TuneSharp.Inference.Scheduling;

public sealed record SchedulerOptions
{
    /// <summary>Sequences decoded together (KV-cache rows).</summary>
    public int MaxBatch { get; init; } = 8;

    /// <summary>Prompt + generated tokens allowed per sequence; null = 2048.</summary>
    public int? MaxContext { get; init; }

    /// <summary>KV slots per row; null = MaxContext + 256 (the slack compaction reclaims from padding and freed rows).</summary>
    public int? CacheCapacity { get; init; }

    /// <summary>Requests waiting for a row; a full queue rejects new ones (<see cref="QueueFullException"/>).</summary>
    public int QueueCapacity { get; init; } = 64;

    public void Validate()
    {
        if (MaxBatch < 1) throw new ArgumentException($"max batch must be ≥ 1, got {MaxBatch}");
        if (MaxContext is < 2) throw new ArgumentException($"max context must be ≥ 2, got {MaxContext}");
        if (QueueCapacity < 1) throw new ArgumentException($"queue capacity must be ≥ 1, got {QueueCapacity}");
        if (CacheCapacity is { } c && c < (MaxContext ?? 2)) throw new ArgumentException($"cache capacity {c} is below the max context {MaxContext}");
    }
}
