// Writes a file through a temporary sibling and a rename, so readers never see a partial file.
namespace TuneSharp.Tensors.IO;

internal static class AtomicFile
{
    /// <summary>
    /// Runs <paramref name="write"/> on a temp file in the destination's folder, flushes it to disk, then renames it
    /// over <paramref name="path"/> (rename(2) on Unix, atomic within a file system). On any exception the temp file
    /// is deleted and <paramref name="path"/> is left as it was.
    /// </summary>
    public static void Write(string path, Action<FileStream> write)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        string temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
