// Tensor storage over a read-only memory-mapped file region (weights stay on disk until touched).
using System.IO.MemoryMappedFiles;

namespace TuneSharp.Tensors;

/// <summary>
/// A read-only window of a memory-mapped file. The <see cref="MemoryMappedViewAccessor"/> owner is shared
/// by every tensor of one file; it is released when the file object and all tensors are disposed.
/// </summary>
public sealed unsafe class MappedStorage : TensorStorage
{
    private readonly MappedFileRegion _region;
    private readonly long _offset;
    private readonly long _length;
    private int _freed;

    public MappedStorage(MappedFileRegion region, long offset, long length)
    {
        if (offset < 0 || length < 0 || offset + length > region.Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"region [{offset}, {offset + length}) outside the mapped {region.Length} bytes of {region.Path}");
        _region = region;
        _offset = offset;
        _length = length;
        region.AddRef();
    }

    public override long ByteLength => _length;

    public override bool IsMemoryMapped => true;

    public override Span<byte> GetBytes(long offset, int length)
    {
        // After the last release the mapping is gone: fail instead of dereferencing a dead pointer.
        if (Volatile.Read(ref _freed) != 0) throw new ObjectDisposedException(nameof(MappedStorage), $"mapping of {_region.Path} was released");
        if (offset < 0 || length < 0 || offset + length > _length) throw new ArgumentOutOfRangeException(nameof(offset));
        return new Span<byte>(_region.Pointer + _offset + offset, length);
    }

    protected override void Free()
    {
        if (Interlocked.Exchange(ref _freed, 1) == 0) _region.Release();
    }
}
