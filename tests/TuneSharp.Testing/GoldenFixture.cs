// Reads the JSON golden fixtures written by tests/golden/golden_io.py (PyTorch reference values).
using System.Text.Json;

namespace TuneSharp.Testing;

/// <summary>One fixture: named tensors (flat row-major data + shape) and a config object.</summary>
public sealed class GoldenFixture
{
    private readonly Dictionary<string, GoldenTensor> _tensors;

    private GoldenFixture(string path, string name, JsonElement config, Dictionary<string, GoldenTensor> tensors)
    {
        Path = path;
        Name = name;
        Config = config;
        _tensors = tensors;
    }

    public string Path { get; }

    public string Name { get; }

    /// <summary>The fixture's "config" object (scalars and lists the generator used).</summary>
    public JsonElement Config { get; }

    public IReadOnlyCollection<string> TensorNames => _tensors.Keys;

    public bool Has(string key) => _tensors.ContainsKey(key);

    public GoldenTensor this[string key] =>
        _tensors.TryGetValue(key, out var t) ? t : throw new KeyNotFoundException($"{Path}: no tensor '{key}' (has: {string.Join(", ", _tensors.Keys)})");

    public int Int(string key) => Config.GetProperty(key).GetInt32();

    public double Double(string key) => Config.GetProperty(key).GetDouble();

    public bool Bool(string key) => Config.GetProperty(key).GetBoolean();

    public string String(string key) => Config.GetProperty(key).GetString()!;

    /// <summary>Loads tests/golden/fixtures/&lt;relative&gt; (e.g. "ops/rmsnorm_basic.json").</summary>
    public static GoldenFixture Load(string relative) => LoadFile(SharedAssets.Golden(relative));

    /// <summary>All fixtures in one group whose file names start with a prefix.</summary>
    public static IEnumerable<GoldenFixture> LoadAll(string group, string prefix)
    {
        var folder = SharedAssets.Golden(group);
        return Directory.EnumerateFiles(folder, prefix + "*.json").Order(StringComparer.Ordinal).Select(LoadFile);
    }

    public static GoldenFixture LoadFile(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        var tensors = new Dictionary<string, GoldenTensor>(StringComparer.Ordinal);
        foreach (var prop in root.GetProperty("tensors").EnumerateObject())
        {
            var shape = prop.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var dtype = prop.Value.GetProperty("dtype").GetString()!;
            var data = prop.Value.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            tensors[prop.Name] = new GoldenTensor(shape, dtype, data);
        }
        var name = root.TryGetProperty("name", out var n) ? n.GetString() ?? "" : System.IO.Path.GetFileNameWithoutExtension(path);
        var config = root.TryGetProperty("config", out var c) ? c.Clone() : default;
        return new GoldenFixture(path, name, config, tensors);
    }

    public override string ToString() => Name;
}
