// Issue 14: training.max_seq_length beyond the model's max_position_embeddings warns, naming both numbers and the key.
using TuneSharp.Testing;
using TuneSharp.Training.Config;
using TuneSharp.Training.Runs;

namespace TuneSharp.Training.Tests;

public sealed class SeqLengthHardeningTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tunesharp-seqlen-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private List<string> Warnings(int words, params string[] overrides)
    {
        var data = Path.Combine(_dir, "stories.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 4).Select(i =>
            $"{{\"prompt\": \"Tom had a red ball\", \"completion\": \".{string.Concat(Enumerable.Repeat(" He ran", words))}\"}}"));
        var config = RunConfig.FromOverrides(
        [
            $"model.name_or_path={SharedAssets.Require("models/tinystories-656k")}", $"dataset.path={data}", "dataset.format=completion",
            $"training.output_dir={Path.Combine(_dir, "out")}", "training.max_steps=1", "training.report_to=[]", .. overrides,
        ]);
        var warnings = new List<string>();
        using var run = FineTuneRun.FromConfig(config, warnings.Add);
        return warnings;
    }

    [Fact]
    public void ChosenMaxSeqLengthBeyondThePositionsWarns()
    {
        var w = Assert.Single(Warnings(3, "training.max_seq_length=2048"), w => w.StartsWith("training.max_seq_length", StringComparison.Ordinal));
        Assert.StartsWith("training.max_seq_length 2048 is larger than the model's max_position_embeddings 512", w);
        Assert.Contains("Set training.max_seq_length to at most 512", w);
    }

    [Fact]
    public void RowsLongerThanThePositionsWarnEvenWithTheDefault()
    {
        // The default max_seq_length (1024) exceeds TinyStories' 512 positions; rows of ~700 tokens really do.
        var w = Assert.Single(Warnings(350), w => w.StartsWith("training.max_seq_length", StringComparison.Ordinal));
        Assert.Contains("max_seq_length 1024 is larger than the model's max_position_embeddings 512", w);
        Assert.Contains("4 rows are longer than 512 tokens", w);
    }

    [Fact]
    public void DefaultWithShortRowsOrAFittingValueIsQuiet()
    {
        Assert.DoesNotContain(Warnings(3), w => w.Contains("max_position_embeddings", StringComparison.Ordinal));
        Assert.DoesNotContain(Warnings(3, "training.max_seq_length=512"), w => w.Contains("max_position_embeddings", StringComparison.Ordinal));
    }
}
