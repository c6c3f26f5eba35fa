// A whole file mapped read-only into memory, shared by the tensors that view it.
using System.IO.MemoryMappedFiles;

namespace TuneSharp.Tensors;

/// <summary>Maps a file read-only; reference counted so tensors keep it alive after the reader is disposed.</summary>
public sealed unsafe class MappedFileRegion : IDisposable
{
    private readonly MemoryMappedFile? _file;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _pointer;
    private int _refCount = 1;
    private int _disposed;

    public MappedFileRegion(string path)
    {
        Path = path;
        var info = new FileInfo(path);
        // FileInfo.Length of a symbolic link is the link's own size (lstat): Hugging Face hub caches store weights as
        // links into blobs/, so measure the file the link finally points to.
        if (info.LinkTarget != null && info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target) info = target;
        Length = info.Length;
        if (Length == 0) return; // an empty file cannot be mapped; nothing to view
        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _pointer);
        _pointer += _view.PointerOffset;
    }

    public string Path { get; }

    public long Length { get; }

    internal byte* Pointer => _pointer;

    /// <summary>A read-only span over [offset, offset + length) of the file.</summary>
    public ReadOnlySpan<byte> GetSpan(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset + length > Length) throw new ArgumentOutOfRangeException(nameof(offset), $"[{offset}, {offset + length}) is outside {Path} ({Length} bytes)");
        return new ReadOnlySpan<byte>(_pointer + offset, length);
    }

    internal void AddRef() => Interlocked.Increment(ref _refCount);

    internal void Release()
    {
        if (Interlocked.Decrement(ref _refCount) != 0) return;
        if (_view != null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _file?.Dispose();
        _pointer = null;
    }

    /// <summary>Drops the creator's reference (idempotent: a second Dispose must not release a tensor's reference).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) Release();
    }
}
