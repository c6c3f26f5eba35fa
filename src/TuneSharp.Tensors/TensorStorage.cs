// Backing memory of tensors: pooled managed arrays or a region of a memory-mapped file.
namespace TuneSharp.Tensors;

/// <summary>
/// A contiguous byte region shared by a tensor and its views. Reference counted: the pooled
/// array goes back to the pool (or the mapping is released) when the last holder disposes.
/// </summary>
public abstract class TensorStorage
{
    private int _refCount = 1;

    /// <summary>Length in bytes.</summary>
    public abstract long ByteLength { get; }

    /// <summary>True when the bytes live in a read-only memory-mapped file region.</summary>
    public abstract bool IsMemoryMapped { get; }

    /// <summary>A span over [offset, offset + length) bytes.</summary>
    public abstract Span<byte> GetBytes(long offset, int length);

    internal void AddRef() => Interlocked.Increment(ref _refCount);

    internal void Release()
    {
        if (Interlocked.Decrement(ref _refCount) == 0) Free();
    }

    /// <summary>Returns the memory to its owner (pool or mapping).</summary>
    protected abstract void Free();
}
