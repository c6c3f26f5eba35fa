// Backing memory of tensors: pooled managed arrays or a region of a memory-mapped file.
namespace TuneSharp.Tensors;

/// <summary>
/// A contiguous byte region shared by a tensor and its views. Reference counted: the pooled
/// array goes back to the pool (or the mapping is released) when the last holder disposes.
/// The count starts at 1 for the creator; every tensor made by <see cref="Tensor.FromStorage"/> adds one.
/// The creator drops its reference with <see cref="Dispose"/> (idempotent), e.g.
/// <c>using var s = new MappedStorage(region, off, len); return Tensor.FromStorage(s, 0, shape, dtype);</c>.
/// </summary>
public abstract class TensorStorage : IDisposable
{
    private int _refCount = 1;
    private int _creatorReleased;

    /// <summary>Length in bytes.</summary>
    public abstract long ByteLength { get; }

    /// <summary>True when the bytes live in a read-only memory-mapped file region.</summary>
    public abstract bool IsMemoryMapped { get; }

    /// <summary>A span over [offset, offset + length) bytes.</summary>
    public abstract Span<byte> GetBytes(long offset, int length);

    /// <summary>Drops the creator's reference; tensors viewing this storage keep it alive. Safe to call twice.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _creatorReleased, 1) == 0) Release();
    }

    internal void AddRef() => Interlocked.Increment(ref _refCount);

    internal void Release()
    {
        if (Interlocked.Decrement(ref _refCount) == 0) Free();
    }

    /// <summary>Returns the memory to its owner (pool or mapping).</summary>
    protected abstract void Free();
}
