// Per-layer key/value cache for incremental decoding (layout (B, capacity, nkv, hs), as the attention kernel expects).
using TuneSharp.Autograd;
using TuneSharp.Models.Config;
using TuneSharp.Tensors;

namespace TuneSharp.Models;

/// <summary>
/// Keys (after RoPE) and values of every layer for B rows and up to <see cref="Capacity"/> slots; slot s of row b
/// holds the token fed at step s (padding included, masked by <see cref="KeyMask"/>). <see cref="NextPosition"/>
/// counts the real tokens of each row (the RoPE position of its next token). A forward over
/// <see cref="CausalLMInput.ForCache"/> appends its tokens' keys and values.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor[] _keys, _values;

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
        int kvd = config.KeyValueDim;
        _keys = new Tensor[config.NumHiddenLayers];
        _values = new Tensor[config.NumHiddenLayers];
        Keys = new Variable[config.NumHiddenLayers];
        Values = new Variable[config.NumHiddenLayers];
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            _keys[i] = Tensor.Zeros(DType.F32, batch * capacity, kvd);
            _values[i] = Tensor.Zeros(DType.F32, batch * capacity, kvd);
            Keys[i] = Variable.Constant(_keys[i], $"model.layers.{i}.k_cache");
            Values[i] = Variable.Constant(_values[i], $"model.layers.{i}.v_cache");
        }
        KeyMask = new byte[batch * capacity];
        NextPosition = new int[batch];
    }

    public ModelConfig Config { get; }

    public int Batch { get; }

    public int Capacity { get; }

    /// <summary>Slots filled so far (the same for every row).</summary>
    public int Length { get; internal set; }

    /// <summary>Per layer: keys (B·capacity, nkv·hs) after RoPE.</summary>
    internal Variable[] Keys { get; }

    /// <summary>Per layer: values (B·capacity, nkv·hs).</summary>
    internal Variable[] Values { get; }

    /// <summary>(B, Capacity): 1 where the slot holds a real token.</summary>
    internal byte[] KeyMask { get; }

    /// <summary>(B): RoPE position for each row's next real token.</summary>
    public int[] NextPosition { get; }

    /// <summary>Bytes held by keys and values.</summary>
    public long Bytes => 2L * _keys.Length * _keys[0].ByteLength;

    /// <summary>Empties the cache for reuse with the same batch size.</summary>
    public void Clear()
    {
        Length = 0;
        Array.Clear(KeyMask);
        Array.Clear(NextPosition);
    }

    /// <summary>Writes T new (B·T, nkv·hs) key and value rows of <paramref name="layer"/> into slots [Length, Length+T).</summary>
    internal void Append(int layer, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int t)
    {
        int kvd = Config.KeyValueDim;
        var kc = _keys[layer].Span;
        var vc = _values[layer].Span;
        for (int b = 0; b < Batch; b++)
        {
            int dst = (b * Capacity + Length) * kvd;
            k.Slice(b * t * kvd, t * kvd).CopyTo(kc.Slice(dst, t * kvd));
            v.Slice(b * t * kvd, t * kvd).CopyTo(vc.Slice(dst, t * kvd));
        }
    }

    public void Dispose()
    {
        foreach (var t in _keys) t.Dispose();
        foreach (var t in _values) t.Dispose();
    }
}
