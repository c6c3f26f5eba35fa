// The record a finished step leaves in its output folder: the cache key it was built from and its output's content hash.
using System.Text.Json;
using TuneSharp.Tensors.IO;

namespace TuneSharp.Pipelines.Running;

public sealed record StepManifest(string Step, string Kind, string Key, string OutputHash, DateTimeOffset Finished, double Seconds)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static StepManifest? TryRead(string folder)
    {
        var path = Path.Combine(folder, ContentHasher.ManifestName);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<StepManifest>(File.ReadAllText(path), Json); }
        catch (JsonException) { return null; } // a damaged manifest means "not finished": the step reruns
    }

    public void Write(string folder) => AtomicFile.WriteAllText(Path.Combine(folder, ContentHasher.ManifestName), JsonSerializer.Serialize(this, Json));
}
