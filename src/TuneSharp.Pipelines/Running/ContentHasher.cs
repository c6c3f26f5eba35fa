// XxHash128 content hashes of files and folders (sorted relative paths + bytes); the cache key of every step builds on them.
using System.IO.Hashing;
using System.Text;

namespace TuneSharp.Pipelines.Running;

public static class ContentHasher
{
    /// <summary>Files whose names start with this are bookkeeping and never part of a folder's content hash.</summary>
    public const string ManifestName = ".tunesharp-step.json";

    public static string HashText(string text)
    {
        var h = new XxHash128();
        h.Append(Encoding.UTF8.GetBytes(text));
        return Convert.ToHexStringLower(h.GetCurrentHash());
    }

    /// <summary>Hash of a file's bytes, or of a folder's sorted (relative path, file hash) list; "missing" when neither exists.</summary>
    public static string HashPath(string path)
    {
        if (File.Exists(path)) return HashFile(path);
        if (!Directory.Exists(path)) return "missing";
        var h = new XxHash128();
        foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                     .Select(f => Path.GetRelativePath(path, f).Replace('\\', '/'))
                     .Where(r => !Path.GetFileName(r).StartsWith(ManifestName, StringComparison.Ordinal))
                     .Order(StringComparer.Ordinal))
        {
            h.Append(Encoding.UTF8.GetBytes(file + "\0" + HashFile(Path.Combine(path, file)) + "\n"));
        }
        return Convert.ToHexStringLower(h.GetCurrentHash());
    }

    public static string HashFile(string path)
    {
        var h = new XxHash128();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        h.Append(stream);
        return Convert.ToHexStringLower(h.GetCurrentHash());
    }
}
