// Accumulates DatasetStatistics row by row (memory: 4 bytes per row for lengths + 16 per row for the duplicate set).
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using TuneSharp.Data.Formatting;

namespace TuneSharp.Data.Statistics;

public sealed class DatasetStatisticsBuilder(int maxSeqLength = 0)
{
    private readonly List<int> _lengths = [];
    private readonly HashSet<UInt128> _seen = [];
    private readonly Dictionary<string, long> _languages = new(StringComparer.Ordinal);
    private long _tokens, _trained, _truncated, _truncatedAway, _duplicates, _mixed, _missing;

    /// <summary>
    /// Adds one row: <paramref name="untruncated"/> is its formatted form without truncation (for lengths), and
    /// <paramref name="trained"/> the form training sees (after truncation, with its labels).
    /// </summary>
    public void Add(JsonObject row, FormattedExample untruncated, FormattedExample trained)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(untruncated);
        ArgumentNullException.ThrowIfNull(trained);
        _lengths.Add(untruncated.Length);
        _tokens += untruncated.Length;
        _trained += trained.TrainedTokens;
        if (maxSeqLength > 0 && untruncated.Length > maxSeqLength) _truncated++;
        if (trained.ResponseTruncatedAway) _truncatedAway++;
        if (trained.MissingMarker != null) _missing++;
        if (!_seen.Add(Hash(row))) _duplicates++;
        var (script, mixed) = Scripts.Classify(row);
        _languages[script] = _languages.GetValueOrDefault(script) + 1;
        if (mixed) _mixed++;
    }

    public DatasetStatistics Build(long unknownCharacters = 0) => new()
    {
        Rows = _lengths.Count,
        TokenLengths = _lengths.ToArray(),
        TotalTokens = _tokens,
        TrainedTokens = _trained,
        MaxSeqLength = maxSeqLength,
        TruncatedRows = _truncated,
        ResponsesTruncatedAway = _truncatedAway,
        DuplicateRows = _duplicates,
        Languages = new Dictionary<string, long>(_languages),
        MixedScriptRows = _mixed,
        MissingMarkers = _missing,
        UnknownCharacters = unknownCharacters,
    };

    // 128 bits of SHA-256 of the row's JSON: collisions are negligible at any dataset size, memory stays 16 B/row.
    private static UInt128 Hash(JsonObject row)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(row.ToJsonString()), digest);
        return new UInt128(BitConverter.ToUInt64(digest), BitConverter.ToUInt64(digest[8..]));
    }
}
