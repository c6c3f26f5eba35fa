// Issue 14: a bad key=value override is blamed on the override itself, never on the base config file's line 1.
using TuneSharp.Training.Config;

namespace TuneSharp.Training.Tests;

public sealed class OverrideHardeningTests
{
    [Fact]
    public void UnknownSectionInOverrideNamesTheOverride()
    {
        var e = Assert.Throws<ConfigException>(() => RunConfig.Parse("training:\n  seed: 1\n", "base.yaml", ["trainig.learning_rate=1e-4"]));
        Assert.StartsWith("command-line override 'trainig.learning_rate=1e-4': unknown section 'trainig'", e.Message);
        Assert.Contains("Did you mean 'training'?", e.Message);
        Assert.DoesNotContain("base.yaml", e.Message);
    }

    [Fact]
    public void UnknownKeyInOverrideNamesTheOverride()
    {
        var e = Assert.Throws<ConfigException>(() => RunConfig.Parse("training:\n  seed: 1\n", "base.yaml", ["training.learning_rat=1e-4"]));
        Assert.StartsWith("command-line override 'training.learning_rat=1e-4': unknown key 'learning_rat'", e.Message);
        Assert.Contains("Did you mean 'learning_rate'?", e.Message);
        Assert.DoesNotContain("line 1", e.Message);
    }

    [Fact]
    public void BadValueInOverrideNamesTheOverride()
    {
        var e = Assert.Throws<ConfigException>(() => RunConfig.Parse("lora:\n  r: 8\n", "base.yaml", ["lora.r=eight"]));
        Assert.StartsWith("command-line override 'lora.r=eight': lora.r:", e.Message);
        Assert.Contains("not an integer", e.Message);
    }

    [Fact]
    public void FlagsOnlyOverridesNameTheOverride()
    {
        var e = Assert.Throws<ConfigException>(() => RunConfig.FromOverrides(["trainig.max_steps=1"]));
        Assert.StartsWith("command-line override 'trainig.max_steps=1'", e.Message);
    }

    [Fact]
    public void ErrorsInTheFileStillNameItsLine()
    {
        var e = Assert.Throws<ConfigException>(() => RunConfig.Parse("training:\n  seed: 1\n  learning_rat: 1\n", "base.yaml", ["training.seed=2"]));
        Assert.StartsWith("base.yaml: line 3: unknown key 'learning_rat'", e.Message);
    }
}
