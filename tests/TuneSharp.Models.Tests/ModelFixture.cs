// Loads one tests/golden/fixtures/models/<variant> folder: the HF model, meta.json inputs and expected tensors.
using System.Text.Json;
using TuneSharp.Tensors.IO;
using TuneSharp.Testing;

namespace TuneSharp.Models.Tests;

internal sealed class ModelFixture : IDisposable
{
    private readonly SafeTensorsFile _expected;

    public ModelFixture(string variant)
    {
        Folder = SharedAssets.Golden(Path.Combine("models", variant));
        ModelFolder = Path.Combine(Folder, "model");
        Meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "meta.json"))).RootElement.Clone();
        _expected = SafeTensorsFile.Open(Path.Combine(Folder, "expected.safetensors"));
    }

    public string Folder { get; }

    public string ModelFolder { get; }

    public JsonElement Meta { get; }

    public bool Has(string name) => _expected.Contains(name);

    public float[] Expected(string name)
    {
        using var t = _expected.GetTensor(name);
        return t.Span.ToArray();
    }

    public static int[] Flat(JsonElement e) => e.EnumerateArray().SelectMany(r => r.ValueKind == JsonValueKind.Array ? r.EnumerateArray().Select(x => x.GetInt32()) : [r.GetInt32()]).ToArray();

    public static int Rows(JsonElement e) => e.GetArrayLength();

    public void Dispose() => _expected.Dispose();
}
