// Parses and validates a safetensors header with the rules of huggingface/safetensors (safetensors/src/tensor.rs:
// `read_metadata`, `Metadata::validate`), plus duplicate-key rejection that serde's map silently skips.
//
// File layout: u64 LE header length N · N bytes of UTF-8 JSON · data region (to end of file).
// JSON: { "__metadata__"?: {str: str} | null, "<name>": {"dtype": str, "shape": [usize…], "data_offsets": [begin, end]}, … }
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace TuneSharp.Tensors.IO;

/// <summary>The validated content of a header.</summary>
internal sealed record SafeTensorsHeader(
    long HeaderLength,
    IReadOnlyList<SafeTensorsTensorInfo> Tensors,
    IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>The crate's MAX_HEADER_SIZE (100,000,000 bytes, not 100 MiB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Nesting the header legitimately needs is 3 (object → entry → shape); deeper only in unknown fields.</summary>
    public const int MaxJsonDepth = 16;

    private const string MetadataKey = "__metadata__";

    /// <summary>Reads the 8-byte length prefix and checks it against the limits and the file size.</summary>
    public static long ReadHeaderLength(ReadOnlySpan<byte> prefix, long fileLength, string path)
    {
        if (fileLength < 8)
            throw new SafeTensorsFormatException(path, $"file is {fileLength} bytes, shorter than the 8-byte header length field");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n > MaxHeaderBytes)
            throw new SafeTensorsFormatException(path, $"header length {n} exceeds the {MaxHeaderBytes:N0}-byte limit (corrupt length field?)");
        if ((long)n > fileLength - 8)
            throw new SafeTensorsFormatException(path, $"header length {n} exceeds the {fileLength - 8} bytes after the length field (truncated file?)");
        return (long)n;
    }

    /// <summary>Parses the N header bytes of a file of <paramref name="fileLength"/> bytes and validates the layout.</summary>
    public static SafeTensorsHeader Parse(ReadOnlySpan<byte> header, long fileLength, string path)
    {
        long dataStart = 8 + header.Length;
        long dataLength = fileLength - dataStart;
        // The crate rejects invalid UTF-8 before JSON parsing (`from_utf8` → InvalidHeader); Utf8JsonReader
        // does not check every byte of string contents, so validate up front.
        if (header.IsEmpty)
            throw new SafeTensorsFormatException(path, "header is empty (expected a JSON object)");
        if (!Utf8.IsValid(header))
            throw new SafeTensorsFormatException(path, "header is not valid UTF-8");

        var tensors = new List<SafeTensorsTensorInfo>();
        Dictionary<string, string>? metadata = null;
        try
        {
            var reader = new Utf8JsonReader(header, new JsonReaderOptions
            {
                MaxDepth = MaxJsonDepth,
                CommentHandling = JsonCommentHandling.Disallow,
                AllowTrailingCommas = false,
            });
            if (!reader.Read())
                throw new SafeTensorsFormatException(path, "header is empty (expected a JSON object)");
            if (reader.TokenType != JsonTokenType.StartObject)
                throw new SafeTensorsFormatException(path, $"header is not a JSON object (it starts with {Describe(ref reader)})");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (true)
            {
                Next(ref reader, path);
                if (reader.TokenType == JsonTokenType.EndObject) break;
                string key = reader.GetString()!;
                if (!seen.Add(key))
                    throw new SafeTensorsFormatException(path, $"duplicate key '{key}' in the header", key == MetadataKey ? null : key);
                Next(ref reader, path);
                if (key == MetadataKey) metadata = ReadMetadata(ref reader, path);
                else tensors.Add(ReadEntry(ref reader, key, dataStart, dataLength, path));
            }
            // Only whitespace (the writer's space padding) may follow; anything else makes Read throw.
            if (reader.Read())
                throw new SafeTensorsFormatException(path, "unexpected content after the header object");
        }
        catch (JsonException e)
        {
            throw new SafeTensorsFormatException(path, $"header is not valid JSON: {e.Message}", null, e);
        }
        catch (InvalidOperationException e)
        {
            // GetString on an escape that decodes to invalid UTF-16 (a lone surrogate), like serde_json's
            // "lone leading surrogate" error.
            throw new SafeTensorsFormatException(path, $"header has an invalid JSON string: {e.Message}", null, e);
        }

        ValidateLayout(tensors, dataLength, path);
        return new SafeTensorsHeader(header.Length, tensors, (IReadOnlyDictionary<string, string>?)metadata ?? new Dictionary<string, string>());
    }

    private static Dictionary<string, string>? ReadMetadata(ref Utf8JsonReader reader, string path)
    {
        if (reader.TokenType == JsonTokenType.Null) return null; // the crate's Option<HashMap> accepts null
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new SafeTensorsFormatException(path, $"__metadata__ must be an object of string values, got {Describe(ref reader)}");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        while (true)
        {
            Next(ref reader, path);
            if (reader.TokenType == JsonTokenType.EndObject) return map;
            string key = reader.GetString()!;
            Next(ref reader, path);
            if (reader.TokenType != JsonTokenType.String)
                throw new SafeTensorsFormatException(path, $"__metadata__ value of '{key}' must be a string, got {Describe(ref reader)}");
            if (!map.TryAdd(key, reader.GetString()!))
                throw new SafeTensorsFormatException(path, $"duplicate key '{key}' in __metadata__");
        }
    }

    private static SafeTensorsTensorInfo ReadEntry(ref Utf8JsonReader reader, string name, long dataStart, long dataLength, string path)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new SafeTensorsFormatException(path, $"entry must be an object with dtype, shape and data_offsets, got {Describe(ref reader)}", name);
        string? dtype = null;
        long[]? shape = null;
        long[]? offsets = null;
        while (true)
        {
            Next(ref reader, path);
            if (reader.TokenType == JsonTokenType.EndObject) break;
            string field = reader.GetString()!;
            Next(ref reader, path);
            switch (field)
            {
                case "dtype":
                    if (dtype != null) throw new SafeTensorsFormatException(path, "duplicate field 'dtype'", name);
                    if (reader.TokenType != JsonTokenType.String)
                        throw new SafeTensorsFormatException(path, $"dtype must be a string, got {Describe(ref reader)}", name);
                    dtype = reader.GetString()!;
                    if (!SafeTensorsDTypes.IsKnown(dtype))
                        throw new SafeTensorsFormatException(path, $"unknown dtype '{dtype}' (known: {string.Join(", ", SafeTensorsDTypes.All)})", name);
                    break;
                case "shape":
                    if (shape != null) throw new SafeTensorsFormatException(path, "duplicate field 'shape'", name);
                    shape = ReadIntegerArray(ref reader, "shape", "dimension", name, path);
                    break;
                case "data_offsets":
                    if (offsets != null) throw new SafeTensorsFormatException(path, "duplicate field 'data_offsets'", name);
                    offsets = ReadIntegerArray(ref reader, "data_offsets", "offset", name, path);
                    if (offsets.Length != 2)
                        throw new SafeTensorsFormatException(path, $"data_offsets must be two integers [begin, end], got {offsets.Length}", name);
                    break;
                default:
                    // The crate's serde derive ignores unknown fields; so do we, for interoperability.
                    reader.Skip();
                    break;
            }
        }
        if (dtype is null) throw new SafeTensorsFormatException(path, "missing 'dtype'", name);
        if (shape is null) throw new SafeTensorsFormatException(path, "missing 'shape'", name);
        if (offsets is null) throw new SafeTensorsFormatException(path, "missing 'data_offsets'", name);

        long begin = offsets[0], end = offsets[1];
        if (end < begin)
            throw new SafeTensorsFormatException(path, $"data_offsets [{begin}, {end}] are not ascending", name);
        if (end > dataLength)
            throw new SafeTensorsFormatException(path, $"data_offsets [{begin}, {end}] lie outside the {dataLength}-byte data region", name);
        long elements = 1;
        try
        {
            foreach (var d in shape) elements = checked(elements * d);
        }
        catch (OverflowException)
        {
            throw new SafeTensorsFormatException(path, $"element count of shape [{string.Join(", ", shape)}] overflows", name);
        }
        long? bytes = SafeTensorsDTypes.ByteSize(dtype, elements, out bool misaligned);
        if (misaligned)
            throw new SafeTensorsFormatException(path, $"{elements} elements of {dtype} do not fill whole bytes", name);
        if (bytes is null)
            throw new SafeTensorsFormatException(path, $"byte size of shape [{string.Join(", ", shape)}] of {dtype} overflows", name);
        if (end - begin != bytes)
            throw new SafeTensorsFormatException(path, $"data_offsets [{begin}, {end}] span {end - begin} bytes but shape [{string.Join(", ", shape)}] of {dtype} needs {bytes}", name);
        return new SafeTensorsTensorInfo(name, dtype, shape, begin, end, dataStart);
    }

    private static long[] ReadIntegerArray(ref Utf8JsonReader reader, string field, string what, string name, string path)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw new SafeTensorsFormatException(path, $"{field} must be an array of non-negative integers, got {Describe(ref reader)}", name);
        var values = new List<long>();
        while (true)
        {
            Next(ref reader, path);
            if (reader.TokenType == JsonTokenType.EndArray) return values.ToArray();
            if (reader.TokenType != JsonTokenType.Number)
                throw new SafeTensorsFormatException(path, $"{field} must hold non-negative integers, got {Describe(ref reader)}", name);
            // Like serde's usize: no sign, no fraction, no exponent; the value must also fit in a long.
            if (!reader.TryGetInt64(out long v))
                throw new SafeTensorsFormatException(path, $"{field} {what} {Raw(ref reader)} is not an integer in [0, 2^63)", name);
            if (v < 0)
                throw new SafeTensorsFormatException(path, $"{field} {what} {v} is negative", name);
            values.Add(v);
            if (values.Count > 1024)
                throw new SafeTensorsFormatException(path, $"{field} has more than 1024 entries", name);
        }
    }

    /// <summary>
    /// The crate sorts entries by data_offsets and requires each to start where the previous ended, from 0 to
    /// the end of the file (`Metadata::validate` → InvalidOffset, `read_metadata` → MetadataIncompleteBuffer):
    /// no gaps, no overlaps, no trailing bytes. Zero-byte tensors may share an offset.
    /// </summary>
    private static void ValidateLayout(List<SafeTensorsTensorInfo> tensors, long dataLength, string path)
    {
        var sorted = tensors.ToArray();
        Array.Sort(sorted, static (a, b) => a.DataBegin != b.DataBegin ? a.DataBegin.CompareTo(b.DataBegin) : a.DataEnd.CompareTo(b.DataEnd));
        long start = 0;
        SafeTensorsTensorInfo? previous = null;
        foreach (var t in sorted)
        {
            if (t.DataBegin < start)
                throw new SafeTensorsFormatException(path, $"data_offsets [{t.DataBegin}, {t.DataEnd}] overlap tensor '{previous!.Name}' [{previous.DataBegin}, {previous.DataEnd}]", t.Name);
            if (t.DataBegin > start)
                throw new SafeTensorsFormatException(path, $"data_offsets [{t.DataBegin}, {t.DataEnd}] leave a gap of {t.DataBegin - start} bytes after offset {start} (tensors must cover the data region contiguously, as the safetensors crate requires)", t.Name);
            start = t.DataEnd;
            previous = t;
        }
        if (start != dataLength)
            throw new SafeTensorsFormatException(path, $"tensors cover {start} bytes but the data region holds {dataLength} ({dataLength - start} unaccounted bytes at the end)");
    }

    /// <summary>Advances, treating an early end of the header as a format error.</summary>
    private static void Next(ref Utf8JsonReader reader, string path)
    {
        if (!reader.Read()) throw new SafeTensorsFormatException(path, "header JSON ends early");
    }

    private static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => $"the string {Raw(ref reader)}",
        JsonTokenType.Number => $"the number {Raw(ref reader)}",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.StartObject => "an object",
        _ => reader.TokenType.ToString(),
    };

    private static string Raw(ref Utf8JsonReader reader)
    {
        var span = reader.ValueSpan;
        string text = Encoding.UTF8.GetString(span.Length > 64 ? span[..64] : span);
        return span.Length > 64 ? text + "…" : text;
    }
}
