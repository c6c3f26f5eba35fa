// Atomic writes for every layer: files through a temporary sibling and a rename, folders through a temporary folder.
namespace TuneSharp.Tensors.IO;

public static class AtomicFile
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

    /// <summary>Writes UTF-8 text (no BOM) atomically.</summary>
    public static void WriteAllText(string path, string text)
        => Write(path, s => s.Write(new System.Text.UTF8Encoding(false).GetBytes(text)));

    /// <summary>Writes one line per item (UTF-8, no BOM, '\n' endings) atomically, streaming the items.</summary>
    public static void WriteLines(string path, IEnumerable<string> lines)
        => Write(path, s =>
        {
            using var writer = new StreamWriter(s, new System.Text.UTF8Encoding(false), bufferSize: 1 << 16, leaveOpen: true) { NewLine = "\n" };
            foreach (var line in lines) writer.WriteLine(line);
        });

    /// <summary>
    /// Builds a folder under a temporary name and renames it into place only when <paramref name="fill"/> completes,
    /// so a folder (e.g. a checkpoint) exists only when complete. An existing folder of that name is replaced.
    /// </summary>
    public static void WriteFolder(string folder, Action<string> fill)
    {
        var full = Path.GetFullPath(folder);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var tmp = Path.Combine(parent, $".tmp-{Path.GetFileName(full)}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        try
        {
            fill(tmp);
            if (Directory.Exists(full))
            {
                var old = Path.Combine(parent, $".old-{Path.GetFileName(full)}-{Guid.NewGuid():N}");
                Directory.Move(full, old);
                Directory.Move(tmp, full);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(tmp, full);
            }
        }
        catch
        {
            try { Directory.Delete(tmp, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
