// Locates ../shared/assets from any test's working directory; tests skip with a message when absent.
namespace TuneSharp.Testing;

public static class SharedAssets
{
    private static readonly Lazy<string?> Root = new(FindRoot);

    /// <summary>Absolute path of shared/assets, or null when the checkout has no ../shared beside it.</summary>
    public static string? AssetsRoot => Root.Value;

    /// <summary>Absolute path of the repository root (the folder holding TuneSharp.slnx).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>Path under shared/assets; throws a skip-style message when shared/ is absent.</summary>
    public static string Require(string relative)
    {
        var root = AssetsRoot ?? throw new Xunit.Sdk.XunitException("../shared/assets not found next to the repository; these tests need it (see shared/README.md).");
        return Path.Combine(root, relative);
    }

    /// <summary>Path of a committed golden fixture under tests/golden/fixtures.</summary>
    public static string Golden(string relative) => Path.Combine(RepoRoot, "tests", "golden", "fixtures", relative);

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "TuneSharp.slnx"))) dir = dir.Parent;
        if (dir != null) return dir.FullName;
        // Built with --artifacts-path outside the tree: the build recorded where the sources are.
        var recorded = typeof(SharedAssets).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "TuneSharpRepoRoot")?.Value;
        if (recorded != null && File.Exists(Path.Combine(recorded, "TuneSharp.slnx"))) return Path.GetFullPath(recorded);
        throw new InvalidOperationException("TuneSharp.slnx not found above " + AppContext.BaseDirectory);
    }

    private static string? FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("TUNESHARP_SHARED");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(Path.Combine(env, "assets"))) return Path.Combine(env, "assets");
        var dir = new DirectoryInfo(RepoRoot);
        while (dir != null)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "assets");
            if (Directory.Exists(candidate)) return candidate;
            dir = dir.Parent;
        }
        return null;
    }
}
