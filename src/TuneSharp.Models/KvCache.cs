// Per-layer key/value cache for incremental decoding (layout (B, capacity, nkv, hs), as the attention kernel expects).
using TuneSharp.Models.Config;

namespace TuneSharp.Models;

/// <summary>
/// Keys (after RoPE) and values of every layer for B rows and up to <see cref="Capacity"/> slots; slot s of row b
/// holds the token fed at step s (padding included, masked by <see cref="KeyMask"/>). <see cref="NextPosition"/>
/// counts the real tokens of each row (the RoPE position of its next token).
/// </summary>
public sealed class KvCache
{
    public KvCache(ModelConfig config, int batch, int capacity)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (batch <= 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "must be positive");
        if (capacity <= 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "must be positive");
        Config = config;
        Batch = batch;
        Capacity = capacity;
        long per = (long)batch * capacity * config.NumKeyValueHeads * config.HeadDim;
        if (per > Array.MaxLength) throw new ArgumentException($"KV cache of {per} floats per layer is too large (batch {batch}, capacity {capacity})");
        Keys = new float[config.NumHiddenLayers][];
        Values = new float[config.NumHiddenLayers][];
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            Keys[i] = new float[per];
            Values[i] = new float[per];
        }
        KeyMask = new byte[batch * capacity];
        NextPosition = new int[batch];
    }

    public ModelConfig Config { get; }

    public int Batch { get; }

    public int Capacity { get; }

    /// <summary>Slots filled so far (the same for every row).</summary>
    public int Length { get; internal set; }

    internal float[][] Keys { get; }

    internal float[][] Values { get; }

    /// <summary>(B, Capacity): 1 where the slot holds a real token.</summary>
    internal byte[] KeyMask { get; }

    /// <summary>(B): RoPE position for each row's next real token.</summary>
    public int[] NextPosition { get; }

    /// <summary>Bytes held by keys and values.</summary>
    public long Bytes => 2L * Keys.Length * Keys[0].Length * sizeof(float);

    /// <summary>Empties the cache for reuse with the same batch size.</summary>
    public void Clear()
    {
        Length = 0;
        Array.Clear(KeyMask);
        Array.Clear(NextPosition);
    }
}
