// Checks the test infrastructure itself: the repository and ../shared/assets are found.
namespace TuneSharp.Tensors.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void RepositoryAndSharedAssetsAreFound()
    {
        Assert.True(File.Exists(Path.Combine(TuneSharp.Testing.SharedAssets.RepoRoot, "TuneSharp.slnx")));
        Assert.NotNull(TuneSharp.Testing.SharedAssets.AssetsRoot);
    }
}
