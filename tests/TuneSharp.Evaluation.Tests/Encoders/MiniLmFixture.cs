// One random-initialised all-MiniLM-L6-v2 (real config and tokenizer, deterministic weights) per test run, shared by the tests that need it.
using System.Text.Json.Nodes;
using TuneSharp.Models.Encoders;
using TuneSharp.Testing;

namespace TuneSharp.Evaluation.Tests.Encoders;

internal static class MiniLmFixture
{
    public static string SharedDir => SharedAssets.Require("models/configs/all-minilm-l6-v2");

    /// <summary>The folder (91 MB of F32 weights, built once; removed when the test process exits).</summary>
    public static string Folder => LazyFolder.Value;

    /// <summary>The loaded encoder; thread-safe to share (Forward allocates its own buffers).</summary>
    public static SentenceEncoder Encoder => LazyEncoder.Value;

    private static readonly Lazy<string> LazyFolder = new(() =>
    {
        var mini = SharedDir;
        var dir = Path.Combine(Path.GetTempPath(), $"ts-minilm-{Environment.ProcessId}-{Guid.NewGuid():N}");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(dir, true); } catch (IOException) { } };
        return DeterministicWeights.WriteFolder(dir, JsonNode.Parse(File.ReadAllText(Path.Combine(mini, "config.json")))!,
            JsonNode.Parse(File.ReadAllText(Path.Combine(mini, "1_Pooling", "config.json")))!, true, mini);
    });

    private static readonly Lazy<SentenceEncoder> LazyEncoder = new(() => SentenceEncoder.FromFolder(Folder));
}
