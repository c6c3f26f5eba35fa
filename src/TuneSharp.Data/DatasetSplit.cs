// The two halves of a train/test split.
namespace TuneSharp.Data;

public sealed record DatasetSplit(Dataset Train, Dataset Test);
