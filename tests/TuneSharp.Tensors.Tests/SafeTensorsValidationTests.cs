// Each malformed-input rule of SafeTensorsFile.Open (FORMATS.md, safetensors crate `read_metadata`/`validate`)
// raises SafeTensorsFormatException naming the file and, where relevant, the tensor.
using System.Buffers.Binary;
using System.Text;
using TuneSharp.Tensors.IO;

namespace TuneSharp.Tensors.Tests;

public sealed class SafeTensorsValidationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("st-validate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Build(string header, int dataBytes) => Build(Encoding.UTF8.GetBytes(header), dataBytes);

    private static byte[] Build(byte[] header, int dataBytes)
    {
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }

    private SafeTensorsFormatException Fails(byte[] bytes, string expectedFragment, string? tensor = null)
    {
        string path = Path.Combine(_dir, $"case-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path).Dispose());
        Assert.Contains(Path.GetFileName(path), e.Message);
        Assert.Equal(path, e.FilePath);
        Assert.Contains(expectedFragment, e.Message);
        if (tensor != null)
        {
            Assert.Equal(tensor, e.TensorName);
            Assert.Contains($"'{tensor}'", e.Message);
        }
        return e;
    }

    private void Loads(byte[] bytes, Action<SafeTensorsFile>? check = null)
    {
        string path = Path.Combine(_dir, $"ok-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, bytes);
        using var file = SafeTensorsFile.Open(path);
        check?.Invoke(file);
    }

    private const string Ok = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    [Fact]
    public void AValidFileLoads() => Loads(Build(Ok, 8), f => Assert.Equal(["a"], f.Names.ToArray()));

    [Fact]
    public void TooShortFiles()
    {
        Fails([], "shorter than the 8-byte");
        Fails([1, 2, 3], "shorter than the 8-byte");
    }

    [Theory]
    [InlineData(1000UL, "truncated")]
    [InlineData(200_000_000UL, "100,000,000-byte limit")]
    [InlineData(ulong.MaxValue, "limit")]
    [InlineData(0x8000_0000_0000_0000UL, "limit")]
    public void BadHeaderLengths(ulong length, string fragment)
    {
        var bytes = Build(Ok, 8);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, length);
        Fails(bytes, fragment);
    }

    [Fact]
    public void ZeroHeaderLengthIsNotJson()
    {
        var bytes = new byte[16];
        Fails(bytes, "header is empty");
    }

    [Fact]
    public void InvalidUtf8()
    {
        var header = Encoding.UTF8.GetBytes(Ok);
        header[3] = 0xFF; // inside the name "a"… now an invalid byte
        Fails(Build(header, 8), "UTF-8");
    }

    [Theory]
    [InlineData("hello", "not valid JSON")]
    [InlineData("[1,2]", "not a JSON object")]
    [InlineData("\"str\"", "not a JSON object")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", "not valid JSON")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}x", "not valid JSON")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},}", "not valid JSON")]
    [InlineData("{/*c*/\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "not valid JSON")]
    [InlineData("{\"\\ud800\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "invalid JSON string")]
    public void NotAJsonObject(string header, string fragment) => Fails(Build(header, 8), fragment);

    [Fact]
    public void DeeplyNestedUnknownFieldHitsTheDepthLimit()
    {
        string deep = new string('[', 100) + new string(']', 100);
        Fails(Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":" + deep + "}}", 8), "depth");
    }

    [Theory]
    [InlineData("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", "missing 'dtype'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", "missing 'shape'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", "missing 'data_offsets'")]
    [InlineData("{\"a\":[1]}", "entry must be an object")]
    [InlineData("{\"a\":{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}}", "dtype must be a string")]
    [InlineData("{\"a\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}", "unknown dtype 'F33'")]
    [InlineData("{\"a\":{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "unknown dtype 'f32'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", "shape must be an array")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", "non-negative integers")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", "negative")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", "not an integer")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2e0],\"data_offsets\":[0,8]}}", "not an integer")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}", "not an integer")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", "overflows")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1152921504606846976],\"data_offsets\":[0,8]}}", "overflows")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,16]}}", "two integers")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8]}}", "two integers")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", "not ascending")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", "negative")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,1000]}}", "outside the 8-byte data region")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", "needs 12")]
    [InlineData("{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,8]}}", "do not fill whole bytes")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "duplicate field 'dtype'")]
    public void BadEntries(string header, string fragment) => Fails(Build(header, 8), fragment, "a");

    [Fact]
    public void OverlappingTensors() =>
        Fails(Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "overlap tensor 'a'", "b");

    [Fact]
    public void IdenticalOffsetsOverlap() =>
        Fails(Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "overlap");

    [Fact]
    public void GapsAreRejectedLikeTheCrate() =>
        Fails(Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12), "gap of 4 bytes", "b");

    [Fact]
    public void LeadingGapIsRejected() =>
        Fails(Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "gap", "a");

    [Fact]
    public void TrailingBytesAreRejected() => Fails(Build(Ok, 12), "4 unaccounted bytes");

    [Fact]
    public void DuplicateTensorNames() =>
        Fails(Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "duplicate key 'a'", "a");

    [Theory]
    [InlineData("{\"__metadata__\":\"x\"}", "__metadata__ must be an object")]
    [InlineData("{\"__metadata__\":[]}", "__metadata__ must be an object")]
    [InlineData("{\"__metadata__\":{\"k\":1}}", "value of 'k' must be a string")]
    [InlineData("{\"__metadata__\":{\"k\":{\"x\":\"y\"}}}", "value of 'k' must be a string")]
    [InlineData("{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", "duplicate key 'k' in __metadata__")]
    [InlineData("{\"__metadata__\":{},\"__metadata__\":{}}", "duplicate key '__metadata__'")]
    public void BadMetadata(string header, string fragment) => Fails(Build(header, 0), fragment);

    [Fact]
    public void AcceptedVariants()
    {
        // null metadata (the crate's Option), unknown entry fields (serde ignores them), no tensors at all,
        // zero-byte tensors sharing an offset, entries in any order, whitespace padding.
        Loads(Build("{\"__metadata__\":null}", 0), f => Assert.Empty(f.Metadata));
        Loads(Build("{\"a\":{\"dtype\":\"F32\",\"extra\":{\"x\":[1,2]},\"shape\":[2],\"data_offsets\":[0,8]}}", 8));
        Loads(Build("{}", 0), f => Assert.Equal(0, f.Count));
        Loads(Build("{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"e1\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]},\"e0\":{\"dtype\":\"U8\",\"shape\":[0,3],\"data_offsets\":[0,0]},\"e2\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}   \n\t ", 8),
            f => Assert.Equal(["b", "e1", "e0", "e2"], f.Names.ToArray()));
        Loads(Build("{\"z\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 8),
            f => Assert.Equal(4, f.GetInfo("z").DataBegin));
    }

    [Fact]
    public void MissingFileIsNotAFormatError() =>
        Assert.Throws<FileNotFoundException>(() => SafeTensorsFile.Open(Path.Combine(_dir, "nope.safetensors")));

    [Fact]
    public void UnknownTensorNameNamesTheFile()
    {
        string path = Path.Combine(_dir, "k.safetensors");
        File.WriteAllBytes(path, Build(Ok, 8));
        using var f = SafeTensorsFile.Open(path);
        var e = Assert.Throws<KeyNotFoundException>(() => f.GetTensor("nope"));
        Assert.Contains("nope", e.Message);
        Assert.Contains("k.safetensors", e.Message);
        Assert.False(f.TryGetInfo("nope", out _));
    }
}
