// Learning-rate schedules against values worked out from transformers' optimization.py formulas.
using TuneSharp.Nn.Optim;

namespace TuneSharp.Nn.Tests;

public sealed class LrScheduleTests
{
    [Fact]
    public void LinearWithWarmup()
    {
        var s = LrSchedule.Create("linear", totalSteps: 10, warmupSteps: 2);
        Assert.Equal([0.0, 0.5, 1.0, 7 / 8.0, 6 / 8.0], Enumerable.Range(0, 5).Select(s.Factor));
        Assert.Equal(0.0, s.Factor(10));
        Assert.Equal(0.0, s.Factor(12));
    }

    [Fact]
    public void CosineHalfWave()
    {
        var s = LrSchedule.Create("cosine", totalSteps: 10, warmupSteps: 0);
        Assert.Equal(1.0, s.Factor(0), 12);
        Assert.Equal(0.5, s.Factor(5), 12);
        Assert.Equal(0.0, s.Factor(10), 12);
    }

    [Fact]
    public void CosineWithRestartsRestarts()
    {
        var s = LrSchedule.Create("cosine_with_restarts", totalSteps: 10, numCycles: 2);
        Assert.Equal(1.0, s.Factor(0), 12);
        Assert.Equal(1.0, s.Factor(5), 12);
        Assert.Equal(0.5 * (1 + Math.Cos(Math.PI * 0.2)), s.Factor(1), 12);
        Assert.Equal(0.0, s.Factor(10), 12);
    }

    [Fact]
    public void PolynomialDecaysToLrEnd()
    {
        var s = LrSchedule.Create("polynomial", totalSteps: 10, warmupSteps: 0, power: 2.0, lrEnd: 1e-4, baseLearningRate: 1e-3);
        Assert.Equal(1.0, s.Factor(0), 12);
        Assert.Equal((1 - 0.1) * 0.25 + 0.1, s.Factor(5), 12);
        Assert.Equal(0.1, s.Factor(11), 12);
    }

    [Fact]
    public void ConstantAndConstantWithWarmupAndWarmupRatio()
    {
        Assert.Equal(1.0, LrSchedule.Create("constant", 10, warmupSteps: 5).Factor(0));
        var s = LrSchedule.Create("constant_with_warmup", totalSteps: 100, warmupRatio: 0.05);
        Assert.Equal(5, s.WarmupSteps);
        Assert.Equal(0.2, s.Factor(1), 12);
        Assert.Equal(1.0, s.Factor(50));
    }

    [Fact]
    public void UnknownNameListsTheSupportedOnes()
    {
        var e = Assert.Throws<ConfigException>(() => LrSchedule.Create("cosine_annealing", 10));
        Assert.Contains("cosine_with_restarts", e.Message);
    }
}
