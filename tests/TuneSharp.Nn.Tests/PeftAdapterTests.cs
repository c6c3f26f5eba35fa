// PEFT adapter folder IO: key names, adapter_config.json fields, round trip, PEFT-written variants, mismatch errors.
using System.Text.Json;
using TuneSharp.Nn.Lora;
using TuneSharp.Nn.Peft;
using TuneSharp.Tensors;
using TuneSharp.Tensors.IO;
using TuneSharp.Testing;
using static TuneSharp.Nn.Tests.LoraTestUtil;

namespace TuneSharp.Nn.Tests;

public sealed class PeftAdapterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "lora-peft-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    private static LoraConfig Config => new() { R = 4, LoraAlpha = 16, LoraDropout = 0.05f, TargetModules = ["q_proj", "v_proj"], ModulesToSave = ["lm_head"] };

    [Fact]
    public void SaveWritesPeftLayoutAndLoadRoundTrips()
    {
        var model = TinyModel();
        var lora = LoraModel.Inject(model, Config, seed: 4);
        int s = 0;
        foreach (var l in lora.AdaptedLayers) FillRandom(l.Lora!.B, s++, 0.1f);
        PeftAdapter.Save(_dir, lora, "tiny-llama");

        using (var f = SafeTensorsFile.Open(Path.Combine(_dir, PeftAdapter.WeightsFileName)))
        {
            Assert.Contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", f.Names);
            Assert.Contains("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight", f.Names);
            Assert.Contains("base_model.model.lm_head.weight", f.Names);
            Assert.Equal(2 * 2 * 2 + 1, f.Count); // 2 layers × (q, v) × (A, B) + lm_head
            var a = f.GetInfo("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
            Assert.Equal("F32", a.DType);
            Assert.Equal(new long[] { 4, 16 }, a.Shape);
            Assert.Equal(new long[] { 16, 4 }, f.GetInfo("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight").Shape);
        }
        // Same key set as a real PEFT adapter_config.json, with our values.
        using var mine = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, PeftAdapter.ConfigFileName)));
        var exampleKeys = SharedAssets.AssetsRoot is { } root
            ? JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "reference", "peft_adapter_config_example.json"))).RootElement.EnumerateObject().Select(p => p.Name).ToHashSet()
            : null;
        var myKeys = mine.RootElement.EnumerateObject().Select(p => p.Name).ToHashSet();
        if (exampleKeys != null) Assert.Subset(myKeys, exampleKeys);
        Assert.Equal("LORA", mine.RootElement.GetProperty("peft_type").GetString());
        Assert.Equal(4, mine.RootElement.GetProperty("r").GetInt32());
        Assert.Equal(16, mine.RootElement.GetProperty("lora_alpha").GetInt32());
        Assert.Equal(0.05, mine.RootElement.GetProperty("lora_dropout").GetDouble());
        Assert.Equal("CAUSAL_LM", mine.RootElement.GetProperty("task_type").GetString());
        Assert.Equal("tiny-llama", mine.RootElement.GetProperty("base_model_name_or_path").GetString());
        Assert.Equal("lm_head", mine.RootElement.GetProperty("modules_to_save")[0].GetString());
        Assert.False(mine.RootElement.GetProperty("use_dora").GetBoolean());

        var fresh = TinyModel();
        var loaded = PeftAdapter.Load(_dir, fresh);
        Assert.Equal(lora.TrainableParameters().Select(p => p.Name), loaded.TrainableParameters().Select(p => p.Name));
        foreach (var (p, q) in lora.TrainableParameters().Zip(loaded.TrainableParameters()))
            Assert.Equal(p.Parameter.Value.ToFloatArray(), q.Parameter.Value.ToFloatArray());
        Assert.Equal(0.05f, loaded.Config.LoraDropout);
        Assert.Equal(16, loaded.Config.LoraAlpha);
    }

    [Fact]
    public void LoadAcceptsAdapterNameInKeys()
    {
        var lora = LoraModel.Inject(TinyModel(), new LoraConfig { R = 2, LoraAlpha = 4, TargetModules = ["o_proj"] });
        PeftAdapter.Save(_dir, lora);
        // Rewrite with ".default" kept, as some tools do.
        var path = Path.Combine(_dir, PeftAdapter.WeightsFileName);
        var tensors = new List<(string, Tensor)>();
        using (var f = SafeTensorsFile.Open(path))
            foreach (var n in f.Names)
            {
                using var t = f.GetTensor(n);
                tensors.Add((n.Replace(".lora_A.", ".lora_A.default.").Replace(".lora_B.", ".lora_B.default."), t.Clone()));
            }
        SafeTensorsWriter.Write(path, tensors);
        var loaded = PeftAdapter.Load(_dir, TinyModel());
        Assert.Equal(2, loaded.AdaptedLayers.Count);
    }

    [Fact]
    public void MismatchedAdaptersGiveClearErrors()
    {
        var lora = LoraModel.Inject(TinyModel(), new LoraConfig { R = 2, LoraAlpha = 4, TargetModules = ["q_proj"] });
        PeftAdapter.Save(_dir, lora);
        // A model without q_proj.
        var other = TinyModel().Where(m => !m.Name.EndsWith("q_proj")).ToList();
        var e = Assert.Throws<AdapterFormatException>(() => PeftAdapter.Load(_dir, other));
        Assert.Contains("'q_proj' matches no linear layer", e.Message);
        // Wrong shapes (rank 3 model, rank 2 file).
        var r3 = LoraModel.Inject(TinyModel(), new LoraConfig { R = 3, LoraAlpha = 4, TargetModules = ["q_proj"] });
        var e2 = Assert.Throws<AdapterFormatException>(() => PeftAdapter.LoadWeights(_dir, r3));
        Assert.Contains("has shape", e2.Message);
        // Extra keys the model does not have.
        var small = LoraModel.Inject(TinyModel(), new LoraConfig { R = 2, LoraAlpha = 4, TargetModules = ["layers.0.self_attn.q_proj"] });
        var e3 = Assert.Throws<AdapterFormatException>(() => PeftAdapter.LoadWeights(_dir, small));
        Assert.Contains("does not match any adapter parameter", e3.Message);
        // Unsupported config.
        File.WriteAllText(Path.Combine(_dir, PeftAdapter.ConfigFileName), "{\"peft_type\":\"LORA\",\"r\":2,\"lora_alpha\":4,\"target_modules\":[\"q_proj\"],\"use_dora\":true}");
        var e4 = Assert.Throws<AdapterFormatException>(() => PeftAdapter.ReadConfig(_dir));
        Assert.Contains("use_dora", e4.Message);
        File.WriteAllText(Path.Combine(_dir, PeftAdapter.ConfigFileName), "{\"peft_type\":\"LORA\",\"r\":0,\"lora_alpha\":4,\"target_modules\":[\"q_proj\"]}");
        var e5 = Assert.Throws<AdapterFormatException>(() => PeftAdapter.ReadConfig(_dir));
        Assert.Contains("r (rank)", e5.Message);
    }
}
