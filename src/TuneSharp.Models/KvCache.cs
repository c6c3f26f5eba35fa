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
/// Continuous batching works on the leading <see cref="ActiveRows"/> rows (a forward feeds only those): a sequence is
/// admitted by prefilling it alone in a one-row cache and copying its slots in (<see cref="CopyRowFrom"/>), a finished
/// one is freed (<see cref="ResetRow"/>, <see cref="MoveRow"/> keeps the active rows leading), and
/// <see cref="Compact"/> packs every row's real slots to the front when <see cref="Length"/> nears the capacity.
/// Slots are absolute-position keys (RoPE applied at write), so moving them keeps attention exact; only
/// sliding-window models see their window counted in slots, so gaps left by other rows' admissions widen it.
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
        _activeRows = batch;
    }

    private int _activeRows;
    private int _viewRows;
    private Variable[]? _keyViews, _valueViews;

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

    /// <summary>
    /// Rows a forward feeds: rows [0, ActiveRows) (default: all <see cref="Batch"/>). Rows beyond keep their slots
    /// untouched, so a scheduler keeps its live sequences leading and decodes only them.
    /// </summary>
    public int ActiveRows
    {
        get => _activeRows;
        set
        {
            if (value < 1 || value > Batch) throw new ArgumentOutOfRangeException(nameof(value), value, $"active rows must be in 1..{Batch}");
            _activeRows = value;
        }
    }

    /// <summary>Keys of the active rows (ActiveRows·capacity, nkv·hs): a view of the layer's cache.</summary>
    internal Variable ActiveKeys(int layer) => _activeRows == Batch ? Keys[layer] : Views().Keys[layer];

    /// <summary>Values of the active rows (ActiveRows·capacity, nkv·hs).</summary>
    internal Variable ActiveValues(int layer) => _activeRows == Batch ? Values[layer] : Views().Values[layer];

    /// <summary>(ActiveRows, Capacity) key mask.</summary>
    internal ReadOnlyMemory<byte> ActiveKeyMask => KeyMask.AsMemory(0, _activeRows * Capacity);

    private (Variable[] Keys, Variable[] Values) Views()
    {
        if (_keyViews == null || _valueViews == null || _viewRows != _activeRows)
        {
            int n = _activeRows * Capacity;
            _keyViews = _keys.Select((t, i) => Variable.Constant(t.Slice(0, n), $"model.layers.{i}.k_cache")).ToArray();
            _valueViews = _values.Select((t, i) => Variable.Constant(t.Slice(0, n), $"model.layers.{i}.v_cache")).ToArray();
            _viewRows = _activeRows;
        }
        return (_keyViews, _valueViews);
    }

    /// <summary>Real (unmasked) slots of <paramref name="row"/>.</summary>
    public int UsedSlots(int row)
    {
        CheckRow(row);
        int n = 0;
        foreach (var m in KeyMask.AsSpan(row * Capacity, Length)) n += m;
        return n;
    }

    /// <summary>Frees a row: every slot masked, position 0 (its keys stay but are never read).</summary>
    public void ResetRow(int row)
    {
        CheckRow(row);
        KeyMask.AsSpan(row * Capacity, Capacity).Clear();
        NextPosition[row] = 0;
    }

    /// <summary>Moves row <paramref name="from"/> (keys, values, mask, position) to row <paramref name="to"/> and frees <paramref name="from"/>.</summary>
    public void MoveRow(int from, int to)
    {
        CheckRow(from);
        CheckRow(to);
        if (from == to) return;
        int kvd = Config.KeyValueDim, n = Length * kvd;
        for (int l = 0; l < _keys.Length; l++)
        {
            _keys[l].Span.Slice(from * Capacity * kvd, n).CopyTo(_keys[l].Span.Slice(to * Capacity * kvd, n));
            _values[l].Span.Slice(from * Capacity * kvd, n).CopyTo(_values[l].Span.Slice(to * Capacity * kvd, n));
        }
        KeyMask.AsSpan(from * Capacity, Capacity).CopyTo(KeyMask.AsSpan(to * Capacity, Capacity));
        NextPosition[to] = NextPosition[from];
        ResetRow(from);
    }

    /// <summary>
    /// Admits a sequence prefilled elsewhere: copies the real slots of <paramref name="source"/>'s row
    /// <paramref name="sourceRow"/> (same model) into <paramref name="row"/>, in order, ending at <see cref="Length"/>
    /// so the next step continues them (when the sequence is longer than Length, Length grows to it; the other rows
    /// see the new slots masked). The row's old contents are dropped. Throws when the sequence exceeds the capacity.
    /// </summary>
    public void CopyRowFrom(KvCache source, int sourceRow, int row)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Config.KeyValueDim != Config.KeyValueDim || source.Config.NumHiddenLayers != Config.NumHiddenLayers)
            throw new ArgumentException("source cache belongs to a model of another shape");
        source.CheckRow(sourceRow);
        CheckRow(row);
        int n = source.UsedSlots(sourceRow);
        if (n > Capacity) throw new InvalidOperationException($"KV cache full: a sequence of {n} slots does not fit the capacity {Capacity}");
        ResetRow(row);
        if (n > Length)
        {
            // Slots [Length, n) are masked for every other row (masks past Length are always clear).
            Length = n;
        }
        int kvd = Config.KeyValueDim, dst = Length - n;
        var srcMask = source.KeyMask.AsSpan(sourceRow * source.Capacity, source.Length);
        for (int j = 0; j < srcMask.Length; j++)
        {
            if (srcMask[j] == 0) continue;
            for (int l = 0; l < _keys.Length; l++)
            {
                source._keys[l].Span.Slice((sourceRow * source.Capacity + j) * kvd, kvd).CopyTo(_keys[l].Span.Slice((row * Capacity + dst) * kvd, kvd));
                source._values[l].Span.Slice((sourceRow * source.Capacity + j) * kvd, kvd).CopyTo(_values[l].Span.Slice((row * Capacity + dst) * kvd, kvd));
            }
            KeyMask[row * Capacity + dst] = 1;
            dst++;
        }
        NextPosition[row] = source.NextPosition[sourceRow];
    }

    /// <summary>
    /// Packs every row's real slots to the front (order kept) and shrinks <see cref="Length"/> to the longest row, so
    /// decoding can go on after padding and freed rows used up the capacity. Returns the slots reclaimed.
    /// </summary>
    public int Compact()
    {
        int kvd = Config.KeyValueDim, newLength = 0;
        for (int b = 0; b < Batch; b++)
        {
            var mask = KeyMask.AsSpan(b * Capacity, Capacity);
            int dst = 0;
            for (int j = 0; j < Length; j++)
            {
                if (mask[j] == 0) continue;
                if (dst != j)
                    for (int l = 0; l < _keys.Length; l++)
                    {
                        _keys[l].Span.Slice((b * Capacity + j) * kvd, kvd).CopyTo(_keys[l].Span.Slice((b * Capacity + dst) * kvd, kvd));
                        _values[l].Span.Slice((b * Capacity + j) * kvd, kvd).CopyTo(_values[l].Span.Slice((b * Capacity + dst) * kvd, kvd));
                    }
                dst++;
            }
            mask[..dst].Fill(1);
            mask[dst..].Clear();
            newLength = Math.Max(newLength, dst);
        }
        int freed = Length - newLength;
        Length = newLength;
        return freed;
    }

    private void CheckRow(int row)
    {
        if ((uint)row >= (uint)Batch) throw new ArgumentOutOfRangeException(nameof(row), row, $"row must be in 0..{Batch - 1}");
    }

    /// <summary>Bytes held by keys and values.</summary>
    public long Bytes => 2L * _keys.Length * _keys[0].ByteLength;

    /// <summary>Empties the cache for reuse with the same batch size.</summary>
    public void Clear()
    {
        Length = 0;
        Array.Clear(KeyMask);
        Array.Clear(NextPosition);
    }

    /// <summary>Writes T new (B·T, nkv·hs) key and value rows (B = ActiveRows) of <paramref name="layer"/> into slots [Length, Length+T).</summary>
    internal void Append(int layer, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int t)
    {
        int kvd = Config.KeyValueDim;
        var kc = _keys[layer].Span;
        var vc = _values[layer].Span;
        for (int b = 0; b < _activeRows; b++)
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
