// The README's exit-code table lists exactly the ExitCode enum (values and order), so the documentation cannot drift.
using System.Text.RegularExpressions;
using TuneSharp.Testing;

namespace TuneSharp.Core.Tests;

public sealed class ExitCodeTableTests
{
    [Fact]
    public void ReadmeTableMatchesTheEnum()
    {
        var readme = File.ReadAllText(Path.Combine(SharedAssets.RepoRoot, "README.md"));
        int start = readme.IndexOf("| exit code | meaning |", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no '| exit code | meaning |' table");
        var codes = readme[start..].Split('\n').Skip(2).TakeWhile(l => l.StartsWith('|'))
            .Select(l => int.Parse(Regex.Match(l, @"^\|\s*(\d+)\s*\|").Groups[1].Value)).ToArray();
        Assert.Equal(Enum.GetValues<ExitCode>().Select(c => (int)c).ToArray(), codes);
    }
}
