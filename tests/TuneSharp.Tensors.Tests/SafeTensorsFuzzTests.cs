// Deterministic fuzzing of SafeTensorsFile.Open: 1,000 mutations of a valid file must each either load (and then
// every tensor's bytes must be readable) or throw SafeTensorsFormatException — never another exception, never a hang.
using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using TuneSharp.Tensors.IO;

namespace TuneSharp.Tensors.Tests;

public sealed class SafeTensorsFuzzTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const int Cases = 1000;
    private const int Seed = 20261121;
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(10);

    private readonly string _dir = Directory.CreateTempSubdirectory("st-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private enum Outcome { Loaded, Rejected }

    private byte[] BaseFile()
    {
        string path = Path.Combine(_dir, "base.safetensors");
        using var f32 = Tensor.FromArray([1f, -2f, 3f, 4.5f, 0f, -0f], 2, 3);
        using var bf16 = Tensor.FromArrayBf16([1f, 2f, 3f, 4f], 4);
        using var f16 = Tensor.FromArray([0.5f]).To(DType.F16);
        using var empty = Tensor.Zeros(0, 2);
        SafeTensorsWriter.Write(path, [("w.f32", f32), ("w.bf16", bf16), ("s.f16", f16), ("e", empty)],
            new Dictionary<string, string> { ["format"] = "pt", ["alias"] = "w.f32" });
        // Raw dtypes appended by rewriting with the raw overload: read back and add I64/U8/BOOL/F8 tensors.
        var raw = new List<(string, string, long[], ReadOnlyMemory<byte>)>();
        using (var file = SafeTensorsFile.Open(path))
            foreach (var info in file.Tensors)
                raw.Add((info.Name, info.DType, info.Shape.ToArray(), file.GetBytes(info.Name).ToArray()));
        raw.Add(("i64", "I64", [2], BitConverter.GetBytes(-5L).Concat(BitConverter.GetBytes(long.MaxValue)).ToArray()));
        raw.Add(("u8", "U8", [5], new byte[] { 1, 2, 3, 4, 5 }));
        raw.Add(("flag", "BOOL", [2], new byte[] { 0, 1 }));
        raw.Add(("f8", "F8_E4M3", [3], new byte[] { 0x38, 0x40, 0xB8 }));
        SafeTensorsWriter.Write(path, raw, new Dictionary<string, string> { ["format"] = "pt", ["alias"] = "w.f32" });
        var bytes = File.ReadAllBytes(path);
        File.Delete(path);
        return bytes;
    }

    [Fact]
    public async Task ThousandMutationsLoadOrFailWithTheFormatException()
    {
        var original = BaseFile();
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        string baseNames = string.Join(",", Check(WriteCase(original, -1)).Names);

        var rng = new Random(Seed);
        var failures = new List<string>();
        int loaded = 0, rejected = 0;
        var perKind = new SortedDictionary<string, (int Loaded, int Rejected)>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var checkTime = TimeSpan.Zero;
        for (int i = 0; i < Cases; i++)
        {
            var (kind, bytes) = Mutate(original, headerLength, rng, i);
            string path = WriteCase(bytes, i);
            Result result;
            try
            {
                long t0 = clock.ElapsedTicks;
                result = await Task.Run(() => Check(path)).WaitAsync(CaseTimeout);
                checkTime += TimeSpan.FromTicks((clock.ElapsedTicks - t0) * TimeSpan.TicksPerSecond / System.Diagnostics.Stopwatch.Frequency);
            }
            catch (TimeoutException)
            {
                failures.Add($"case {i} ({kind}): no result within {CaseTimeout.TotalSeconds} s");
                continue; // the stuck task is abandoned; the test fails below
            }
            if (result.Error != null) failures.Add($"case {i} ({kind}): {result.Error}");
            else if (result.Outcome == Outcome.Loaded)
            {
                loaded++;
                // Data-region mutations cannot change the header, so the same tensors must come back.
                if (kind == "data-bitflip" && string.Join(",", result.Names) != baseNames)
                    failures.Add($"case {i} ({kind}): names changed to {string.Join(",", result.Names)}");
            }
            else rejected++;
            perKind.TryGetValue(kind, out var c);
            perKind[kind] = result.Outcome == Outcome.Loaded ? (c.Loaded + 1, c.Rejected) : (c.Loaded, c.Rejected + 1);
            File.Delete(path);
        }
        output.WriteLine($"{Cases} cases in {clock.Elapsed.TotalSeconds:F2} s ({checkTime.TotalSeconds:F2} s opening/reading): {loaded} loaded, {rejected} rejected");
        foreach (var (k, (l, r)) in perKind) output.WriteLine($"  {k,-22} loaded {l,4}  rejected {r,4}");
        Assert.True(failures.Count == 0, $"{failures.Count} of {Cases} cases misbehaved:\n" + string.Join("\n", failures.Take(20)));
        // Both paths must be exercised, or the mutator is broken.
        Assert.True(loaded >= 100, $"only {loaded} mutated files loaded");
        Assert.True(rejected >= 400, $"only {rejected} mutated files were rejected");
    }

    private string WriteCase(byte[] bytes, int i)
    {
        string path = Path.Combine(_dir, $"case{i}.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private sealed record Result(Outcome Outcome, string[] Names, string? Error);

    private static Result Check(string path)
    {
        try
        {
            using var file = SafeTensorsFile.Open(path);
            long checksum = 0;
            foreach (var info in file.Tensors)
            {
                // Read every byte: an out-of-bounds offset would fault or throw here.
                foreach (var b in file.GetBytes(info.Name)) checksum += b;
                if (info.ByteLength != file.GetBytes(info.Name).Length) return new Result(Outcome.Loaded, [], $"'{info.Name}' byte length mismatch");
                if (info.FileOffset + info.ByteLength > file.FileLength) return new Result(Outcome.Loaded, [], $"'{info.Name}' ends past the file");
                if (info.ComputeDType is null) continue;
                if (info.Shape.Any(d => d > int.MaxValue))
                {
                    // Only possible for zero-element tensors; the engine's Shape is int-based.
                    if (info.ElementCount != 0) return new Result(Outcome.Loaded, [], $"'{info.Name}' huge non-empty shape accepted");
                    try { file.GetTensor(info.Name).Dispose(); return new Result(Outcome.Loaded, [], "huge dim became a tensor"); }
                    catch (NotSupportedException) { continue; }
                }
                using var t = file.GetTensor(info.Name);
                foreach (var b in t.AsBytes()) checksum += b;
                _ = t.ToFloatArray();
            }
            GC.KeepAlive(checksum);
            return new Result(Outcome.Loaded, file.Names.ToArray(), null);
        }
        catch (SafeTensorsFormatException e)
        {
            return e.Message.Contains(Path.GetFileName(path))
                ? new Result(Outcome.Rejected, [], null)
                : new Result(Outcome.Rejected, [], $"message does not name the file: {e.Message}");
        }
        catch (Exception e)
        {
            return new Result(Outcome.Loaded, [], $"{e.GetType().Name}: {e.Message}");
        }
    }

    private static (string Kind, byte[] Bytes) Mutate(byte[] original, int headerLength, Random rng, int i)
    {
        var b = (byte[])original.Clone();
        int dataStart = 8 + headerLength;
        switch (i % 10)
        {
            case 0:
            {
                int flips = 1 + rng.Next(3);
                for (int k = 0; k < flips; k++) FlipBit(b, 8 + rng.Next(headerLength), rng);
                return ("header-bitflip", b);
            }
            case 1:
            {
                for (int k = 0; k < 1 + rng.Next(8); k++) FlipBit(b, dataStart + rng.Next(b.Length - dataStart), rng);
                return ("data-bitflip", b);
            }
            case 2:
            {
                FlipBit(b, rng.Next(b.Length), rng);
                if (rng.Next(2) == 0) FlipBit(b, rng.Next(8), rng); // often hit the length field
                return ("anywhere-bitflip", b);
            }
            case 3:
            {
                // Truncate inside the length field, inside the header, at its end, inside the data, or by one byte.
                int cut = rng.Next(6) switch
                {
                    0 => rng.Next(8),
                    1 => 8 + rng.Next(headerLength),
                    2 => dataStart,
                    3 => dataStart + rng.Next(b.Length - dataStart),
                    4 => b.Length - 1,
                    _ => rng.Next(b.Length),
                };
                return ("truncate", b.AsSpan(0, cut).ToArray());
            }
            case 4:
            {
                ulong[] lengths =
                [
                    0, 1, 2, (ulong)headerLength - 1, (ulong)headerLength + 1, (ulong)headerLength + 8, (ulong)(b.Length - 8),
                    (ulong)(b.Length - 7), 99_999_999, 100_000_000, 100_000_001, 1UL << 32, 1UL << 63, ulong.MaxValue,
                    (ulong)rng.NextInt64(), (ulong)rng.Next(headerLength * 2),
                ];
                BinaryPrimitives.WriteUInt64LittleEndian(b, lengths[rng.Next(lengths.Length)]);
                return ("length-field", b);
            }
            case 5:
            case 6:
            case 7:
                return JsonEdit(original, headerLength, rng);
            case 8:
            {
                // Garbage bytes over a random stretch of the header (length unchanged).
                int start = 8 + rng.Next(headerLength);
                int len = Math.Min(1 + rng.Next(16), dataStart - start);
                for (int k = 0; k < len; k++) b[start + k] = (byte)rng.Next(256);
                return ("header-garbage", b);
            }
            default:
            {
                // Insert or delete bytes at the header/data boundary or in the data (layout no longer matches).
                int at = rng.Next(2) == 0 ? dataStart : dataStart + rng.Next(b.Length - dataStart);
                var list = b.ToList();
                if (rng.Next(2) == 0) list.InsertRange(at, Enumerable.Range(0, 1 + rng.Next(9)).Select(_ => (byte)rng.Next(256)));
                else list.RemoveRange(Math.Min(at, list.Count - 1), 1);
                return ("splice", list.ToArray());
            }
        }
    }

    private static void FlipBit(byte[] b, int index, Random rng) => b[index] ^= (byte)(1 << rng.Next(8));

    private static readonly string[] DTypeValues = ["\"F64\"", "\"I32\"", "\"F32\"", "\"U8\"", "\"F4\"", "\"F6_E2M3\"", "\"XX\"", "\"\"", "\"f32\"", "5", "null", "[\"F32\"]", "{}"];
    private static readonly string[] ShapeValues = ["[]", "[0]", "[-1]", "[1e3]", "[2.5]", "[\"2\"]", "[18446744073709551616]", "[9223372036854775807]", "[4294967296,4294967296]", "null", "{}", "[2,3]", "[6]", "[3,2]", "[1,1,1,1,1,1]"];
    private static readonly string[] OffsetValues = ["[0]", "[1,0]", "[0,999999]", "[-1,3]", "[0,8,9]", "\"x\"", "[0,0]", "[0,24]", "[24,48]", "[0.5,8]", "null", "[9223372036854775807,9223372036854775807]"];
    private static readonly string[] MetadataValues = ["1", "[]", "null", "{\"k\":1}", "{\"k\":null}", "{\"k\":{\"x\":\"y\"}}", "{}", "\"s\""];

    /// <summary>Structured edits of the header JSON; the length prefix is rewritten to the new header size.</summary>
    private static (string Kind, byte[] Bytes) JsonEdit(byte[] original, int headerLength, Random rng)
    {
        string json = Encoding.UTF8.GetString(original, 8, headerLength).TrimEnd();
        var data = original.AsSpan(8 + headerLength).ToArray();
        var root = JsonNode.Parse(json)!.AsObject();
        var names = root.Select(p => p.Key).Where(k => k != "__metadata__").ToArray();
        string target = names[rng.Next(names.Length)];
        var entry = root[target]!.AsObject();
        string kind;
        string text;
        switch (rng.Next(9))
        {
            case 0:
                kind = "json-dtype";
                entry["dtype"] = JsonNode.Parse(DTypeValues[rng.Next(DTypeValues.Length)]);
                text = root.ToJsonString();
                break;
            case 1:
                kind = "json-shape";
                entry["shape"] = JsonNode.Parse(ShapeValues[rng.Next(ShapeValues.Length)]);
                text = root.ToJsonString();
                break;
            case 2:
                kind = "json-offsets";
                entry["data_offsets"] = JsonNode.Parse(OffsetValues[rng.Next(OffsetValues.Length)]);
                text = root.ToJsonString();
                break;
            case 3:
            {
                // Overlap: give this tensor another tensor's offsets (or shift them by a few bytes).
                kind = "json-overlap";
                var other = root[names[rng.Next(names.Length)]]!["data_offsets"]!.AsArray();
                long begin = other[0]!.GetValue<long>() + rng.Next(-2, 3);
                long end = other[1]!.GetValue<long>() + rng.Next(-2, 3);
                entry["data_offsets"] = new JsonArray(begin, end);
                text = root.ToJsonString();
                break;
            }
            case 4:
            {
                kind = "json-duplicate-key";
                string copy = $"\"{target}\":{entry.ToJsonString()}";
                string s = root.ToJsonString();
                text = "{" + copy + "," + s[1..];
                break;
            }
            case 5:
                kind = "json-remove-field";
                entry.Remove(new[] { "dtype", "shape", "data_offsets" }[rng.Next(3)]);
                text = root.ToJsonString();
                break;
            case 6:
                kind = "json-metadata";
                root["__metadata__"] = JsonNode.Parse(MetadataValues[rng.Next(MetadataValues.Length)]);
                text = root.ToJsonString();
                break;
            case 7:
            {
                kind = "json-garbage-insert";
                string s = root.ToJsonString();
                int at = rng.Next(s.Length + 1);
                const string alphabet = "{}[],:\"\\ 0-e.x\u00e9";
                var garbage = new string(Enumerable.Range(0, 1 + rng.Next(4)).Select(_ => alphabet[rng.Next(alphabet.Length)]).ToArray());
                text = s.Insert(at, garbage);
                break;
            }
            default:
                kind = "json-remove-entry";
                root.Remove(target);
                text = root.ToJsonString();
                break;
        }
        var header = Encoding.UTF8.GetBytes(text);
        int padded = rng.Next(3) == 0 ? header.Length : (header.Length + 7) / 8 * 8;
        var bytes = new byte[8 + padded + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)padded);
        header.CopyTo(bytes, 8);
        bytes.AsSpan(8 + header.Length, padded - header.Length).Fill((byte)' ');
        data.CopyTo(bytes, 8 + padded);
        return (kind, bytes);
    }
}
