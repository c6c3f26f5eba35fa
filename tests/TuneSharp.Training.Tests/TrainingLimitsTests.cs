// Issue 14 cases 3-5: nonsense numbers in a run config fail at load with the key, the value and the allowed range.
using TuneSharp.Training.Config;

namespace TuneSharp.Training.Tests;

public sealed class TrainingLimitsTests
{
    [Theory]
    [InlineData("training.learning_rate=1e9", "training.learning_rate = 1000000000 is outside the allowed range 0..1")]
    [InlineData("dataset.test_size=1.5", "dataset.test_size = 1.5 is outside the allowed range")]
    [InlineData("training.num_train_epochs=1e9", "training.num_train_epochs = 1000000000 is outside")]
    [InlineData("training.threads=100000", "training.threads = 100000 is outside the allowed range 0 (all cores) or 1..1024")]
    [InlineData("lora.r=100000", "lora.r = 100000 is outside the allowed range 1..4096")]
    [InlineData("training.max_steps=200000000", "training.max_steps = 200000000 is outside")]
    [InlineData("training.warmup_ratio=2", "training.warmup_ratio = 2 is outside")]
    public void OutOfRangeValuesNameTheKey(string over, string expected)
    {
        var ex = Assert.Throws<ConfigException>(() => RunConfig.FromOverrides([over]));
        Assert.Contains("command line: " + expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IntegerOverflowIsAConfigErrorNotAStackTrace()
    {
        var ex = Assert.Throws<ConfigException>(() => RunConfig.FromOverrides(["training.max_steps=99999999999"]));
        Assert.Contains("max_steps", ex.Message, StringComparison.Ordinal);
        Assert.Contains("too large", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SensibleValuesPass()
    {
        var c = RunConfig.FromOverrides(["training.learning_rate=2e-4", "dataset.test_size=0.1", "lora.r=64", "training.threads=2", "dataset.test_size=100"]);
        Assert.Equal(100, c.Dataset.TestSize);
    }
}
