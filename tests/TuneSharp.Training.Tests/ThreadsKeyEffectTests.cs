// Effect test for training.threads: FineTuneRun.FromConfig sets the kernel pool's worker count (process-wide, so it runs alone).
using TuneSharp.Tensors.Threading;
using TuneSharp.Testing;
using TuneSharp.Training.Config;
using TuneSharp.Training.Runs;

namespace TuneSharp.Training.Tests;

/// <summary>Listed in <see cref="ConfigKeyCoverageTests"/>.</summary>
[Collection(nameof(KernelPoolCollection))]
public sealed class ThreadsKeyEffectTests
{
    [Fact]
    public void ThreadsSetsTheKernelPool()
    {
        var dir = TrainerTestUtil.TempDir("threads");
        int before = KernelPool.Threads;
        try
        {
            var data = Path.Combine(dir, "d.jsonl");
            File.WriteAllText(data, "{\"text\": \"Tom had a red ball.\"}\n");
            int wanted = before == 1 ? 2 : 1;
            using var run = FineTuneRun.FromConfig(RunConfig.FromOverrides(
            [
                $"model.name_or_path={SharedAssets.Require("models/tinystories-656k")}", $"dataset.path={data}", "dataset.format=text",
                $"training.output_dir={Path.Combine(dir, "out")}", $"training.threads={wanted}",
            ]));
            Assert.Equal(wanted, KernelPool.Threads);
        }
        finally
        {
            KernelPool.Threads = before;
            TrainerTestUtil.Delete(dir);
        }
    }
}
