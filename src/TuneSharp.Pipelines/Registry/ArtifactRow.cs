// A file a step produced, with its size and content hash.
namespace TuneSharp.Pipelines.Registry;

public sealed record ArtifactRow(string Step, string Path, long Bytes, string Hash);
