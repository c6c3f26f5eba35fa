// One training/evaluation batch for the tape path: ids (B, T), optional attention mask, positions and the RoPE table.
using TuneSharp.Autograd;

namespace TuneSharp.Models;

/// <summary>
/// Token ids (B, T) row-major with an optional attention mask (1 = token, 0 = padding, any side). Positions follow
/// HF <c>generate</c>: <c>cumsum(mask) − 1</c> with padding set to 1 (0..T−1 without a mask), unless given.
/// Holds the RoPE cos/sin table the ops reference until backward finishes: dispose it after <c>Tape.Backward</c>.
/// With a <see cref="Cache"/> (<see cref="ForCache"/>) the tokens continue the cached rows: positions continue each
/// row's count, attention reads every cached slot, and the forward appends the new keys and values.
/// </summary>
public sealed class CausalLMInput : IDisposable
{
    private RopeTable? _rope;
    private float[]? _ropeFreqs;

    private CausalLMInput(ReadOnlyMemory<int> ids, int batch, int seqLen, byte[]? keyMask, int[] positions, KvCache? cache = null)
    {
        Cache = cache;
        InputIds = ids;
        Batch = batch;
        SeqLen = seqLen;
        KeyMask = keyMask;
        Positions = positions;
    }

    /// <summary>ids: (B·T) row-major; attentionMask (B·T) of 0/1 or empty; positionIds (B·T) or empty (derived from the mask).</summary>
    public static CausalLMInput Create(ReadOnlyMemory<int> inputIds, int batch, ReadOnlySpan<int> attentionMask = default, ReadOnlySpan<int> positionIds = default)
    {
        if (batch <= 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "must be positive");
        if (inputIds.Length == 0 || inputIds.Length % batch != 0)
            throw new ArgumentException($"input ids: {inputIds.Length} ids cannot be split into {batch} equal rows");
        int t = inputIds.Length / batch;
        if (!attentionMask.IsEmpty && attentionMask.Length != inputIds.Length)
            throw new ArgumentException($"attention mask has {attentionMask.Length} entries, input ids {inputIds.Length}");
        if (!positionIds.IsEmpty && positionIds.Length != inputIds.Length)
            throw new ArgumentException($"position ids have {positionIds.Length} entries, input ids {inputIds.Length}");
        byte[]? mask = null;
        if (!attentionMask.IsEmpty)
        {
            bool any0 = false;
            foreach (var m in attentionMask)
            {
                if (m is not (0 or 1)) throw new ArgumentException($"attention mask values must be 0 or 1, got {m}");
                any0 |= m == 0;
            }
            if (any0)
            {
                mask = new byte[attentionMask.Length];
                for (int i = 0; i < mask.Length; i++) mask[i] = (byte)attentionMask[i];
            }
        }
        var pos = new int[inputIds.Length];
        if (!positionIds.IsEmpty) positionIds.CopyTo(pos);
        else FillPositions(attentionMask, batch, t, pos, ReadOnlySpan<int>.Empty);
        return new CausalLMInput(inputIds, batch, t, mask, pos);
    }

    /// <summary>
    /// T new tokens per active row of <paramref name="cache"/> (B = <see cref="KvCache.ActiveRows"/>) — ids (B·T) row-major — with an optional 0/1 mask (B·T) marking
    /// padding (left padding for a batched prefill; finished rows during decode). New real tokens of row b get
    /// positions NextPosition[b], +1, … (padding: 1, as HF generate). Marks the new slots in the cache's key mask and
    /// advances NextPosition; the forward writes the keys/values and advances <see cref="KvCache.Length"/>.
    /// </summary>
    public static CausalLMInput ForCache(KvCache cache, ReadOnlyMemory<int> inputIds, ReadOnlySpan<int> attentionMask = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        int bsz = cache.ActiveRows, n = inputIds.Length;
        if (n == 0 || n % bsz != 0) throw new ArgumentException($"{n} ids cannot be split into the cache's {bsz} active rows");
        int t = n / bsz, len = cache.Length;
        if (len + t > cache.Capacity) throw new InvalidOperationException($"KV cache full: {len} + {t} tokens > capacity {cache.Capacity}");
        if (!attentionMask.IsEmpty && attentionMask.Length != n) throw new ArgumentException($"attention mask has {attentionMask.Length} entries, ids {n}");
        var pos = new int[n];
        FillPositions(attentionMask, bsz, t, pos, cache.NextPosition);
        for (int b = 0; b < bsz; b++)
            for (int i = 0; i < t; i++)
            {
                bool real = attentionMask.IsEmpty || attentionMask[b * t + i] != 0;
                cache.KeyMask[b * cache.Capacity + len + i] = (byte)(real ? 1 : 0);
                if (real) cache.NextPosition[b]++;
            }
        return new CausalLMInput(inputIds, bsz, t, null, pos, cache);
    }

    /// <summary>
    /// pos (B·T) ← start[b] + cumsum(mask) − 1 per row, padding → 1 (HF generate); start = 0 when empty.
    /// Without a mask every token is real.
    /// </summary>
    internal static void FillPositions(ReadOnlySpan<int> mask, int batch, int t, Span<int> pos, ReadOnlySpan<int> start)
    {
        for (int b = 0; b < batch; b++)
        {
            int c = start.IsEmpty ? 0 : start[b];
            for (int i = 0; i < t; i++)
            {
                int idx = b * t + i;
                if (mask.IsEmpty || mask[idx] != 0) pos[idx] = c++;
                else pos[idx] = 1;
            }
        }
    }

    public ReadOnlyMemory<int> InputIds { get; }

    public int Batch { get; }

    /// <summary>T: tokens per row.</summary>
    public int SeqLen { get; }

    /// <summary>B·T.</summary>
    public int Tokens => Batch * SeqLen;

    /// <summary>(B·T) key padding mask (1 = attend) or null when nothing is padded.</summary>
    internal byte[]? KeyMask { get; }

    /// <summary>The KV cache these tokens extend, or null for a self-contained batch.</summary>
    public KvCache? Cache { get; }

    /// <summary>(B·T) RoPE positions.</summary>
    public int[] Positions { get; }

    internal RopeTable Rope(float[] inverseFrequencies)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_rope != null && _ropeFreqs != null && _ropeFreqs.AsSpan().SequenceEqual(inverseFrequencies)) return _rope;
        _rope?.Dispose();
        _rope = new RopeTable(Positions, inverseFrequencies);
        _ropeFreqs = inverseFrequencies;
        return _rope;
    }

    private bool _disposed;

    public void Dispose()
    {
        _disposed = true;
        _rope?.Dispose();
        _rope = null;
    }
}
