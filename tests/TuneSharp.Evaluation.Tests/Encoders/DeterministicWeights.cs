// Rebuilds the encoder weights of tests/golden/gen_encoders.py (det_values: FNV-1a name seed + SplitMix64 counter) as model.safetensors.
using System.Text;
using System.Text.Json.Nodes;
using TuneSharp.Tensors;
using TuneSharp.Tensors.IO;

namespace TuneSharp.Evaluation.Tests.Encoders;

internal static class DeterministicWeights
{
    public static ulong Fnv1a64(string name)
    {
        ulong h = 0xCBF29CE484222325;
        foreach (byte b in Encoding.UTF8.GetBytes(name)) { h ^= b; h *= 0x100000001B3; }
        return h;
    }

    public static float[] Values(string name, int count)
    {
        (double offset, double scale) = name.EndsWith("LayerNorm.weight", StringComparison.Ordinal) ? (1.0, 0.1)
            : name.EndsWith("relative_attention_bias.weight", StringComparison.Ordinal) ? (0.0, 0.5)
            : name.EndsWith(".bias", StringComparison.Ordinal) ? (0.0, 0.05) : (0.0, 0.1);
        ulong seed = Fnv1a64(name);
        var v = new float[count];
        for (int i = 0; i < count; i++)
        {
            ulong z = seed + (ulong)(i + 1) * 0x9E3779B97F4A7C15;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            z ^= z >> 31;
            double u = (z >> 40) / 16777216.0;
            v[i] = (float)((2.0 * u - 1.0) * scale + offset);
        }
        return v;
    }

    /// <summary>Name → shape of every tensor the config's model has (gen_encoders.py weight_shapes).</summary>
    public static List<(string Name, int[] Shape)> Shapes(JsonNode cfg)
    {
        string arch = cfg["model_type"]!.GetValue<string>();
        int C = cfg["hidden_size"]!.GetValue<int>(), I = cfg["intermediate_size"]!.GetValue<int>();
        var list = new List<(string, int[])>
        {
            ("embeddings.word_embeddings.weight", [cfg["vocab_size"]!.GetValue<int>(), C]),
            ("embeddings.position_embeddings.weight", [cfg["max_position_embeddings"]!.GetValue<int>(), C]),
            ("embeddings.LayerNorm.weight", [C]),
            ("embeddings.LayerNorm.bias", [C]),
        };
        bool mp = arch == "mpnet";
        if (!mp) list.Add(("embeddings.token_type_embeddings.weight", [cfg["type_vocab_size"]!.GetValue<int>(), C]));
        for (int l = 0; l < cfg["num_hidden_layers"]!.GetValue<int>(); l++)
        {
            string p = $"encoder.layer.{l}.";
            string[] names = mp ? ["attention.attn.q", "attention.attn.k", "attention.attn.v", "attention.attn.o"]
                : ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"];
            foreach (var n in names) { list.Add((p + n + ".weight", [C, C])); list.Add((p + n + ".bias", [C])); }
            string ln = mp ? "attention.LayerNorm" : "attention.output.LayerNorm";
            list.Add((p + ln + ".weight", [C])); list.Add((p + ln + ".bias", [C]));
            list.Add((p + "intermediate.dense.weight", [I, C])); list.Add((p + "intermediate.dense.bias", [I]));
            list.Add((p + "output.dense.weight", [C, I])); list.Add((p + "output.dense.bias", [C]));
            list.Add((p + "output.LayerNorm.weight", [C])); list.Add((p + "output.LayerNorm.bias", [C]));
        }
        if (mp) list.Add(("encoder.relative_attention_bias.weight", [cfg["relative_attention_num_buckets"]?.GetValue<int>() ?? 32, cfg["num_attention_heads"]!.GetValue<int>()]));
        return list;
    }

    /// <summary>
    /// Writes a sentence-transformers folder: config.json, model.safetensors (deterministic weights, optional name
    /// prefix), modules.json, 1_Pooling/config.json and the MiniLM WordPiece tokenizer.
    /// </summary>
    public static string WriteFolder(string folder, JsonNode config, JsonNode pooling, bool normalize, string tokenizerDir, string prefix = "")
    {
        Directory.CreateDirectory(Path.Combine(folder, "1_Pooling"));
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        File.WriteAllText(Path.Combine(folder, "1_Pooling", "config.json"), pooling.ToJsonString());
        var modules = new JsonArray(
            new JsonObject { ["idx"] = 0, ["name"] = "0", ["path"] = "", ["type"] = "sentence_transformers.models.Transformer" },
            new JsonObject { ["idx"] = 1, ["name"] = "1", ["path"] = "1_Pooling", ["type"] = "sentence_transformers.models.Pooling" });
        if (normalize) modules.Add(new JsonObject { ["idx"] = 2, ["name"] = "2", ["path"] = "2_Normalize", ["type"] = "sentence_transformers.models.Normalize" });
        File.WriteAllText(Path.Combine(folder, "modules.json"), modules.ToJsonString());
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "sentence_bert_config.json" })
            if (File.Exists(Path.Combine(tokenizerDir, f))) File.Copy(Path.Combine(tokenizerDir, f), Path.Combine(folder, f), true);
        var tensors = Shapes(config).Select(s => (prefix + s.Name, Tensor.FromArray(Values(s.Name, s.Shape.Aggregate(1, (a, b) => a * b)), s.Shape))).ToList();
        SafeTensorsWriter.Write(Path.Combine(folder, "model.safetensors"), tensors);
        foreach (var (_, t) in tensors) t.Dispose();
        return folder;
    }
}
