// `tunesharp info`: what a model/tokenizer folder (or .gguf) holds — architecture, sizes, parameters, dtypes, vocab, special tokens, chat template;
// for a GGUF the ggml type of every tensor, and for a PEFT adapter folder its LoRA settings.
using System.CommandLine;
using System.Text.Json.Nodes;
using TuneSharp.Models;
using TuneSharp.Tokenizers;

namespace TuneSharp.Cli.Commands;

[CliVerb(40)]
public static class InfoCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = "Hugging Face model folder or a llama .gguf file" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer folder (default: the model folder); alone, summarizes only the tokenizer" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text" };
        var adapter = new Option<string?>("--adapter") { Description = "PEFT LoRA adapter folder: rank, alpha, targets, tensors" };
        var cmd = new Command("info", "Summarize a model and its tokenizer: architecture, parameters, dtypes, vocabulary, special tokens, chat template");
        foreach (var o in new Option[] { model, tokenizer, json, adapter }) cmd.Options.Add(o);
        cmd.SetAction(p =>
        {
            string? m = p.GetValue(model), t = p.GetValue(tokenizer), ad = p.GetValue(adapter);
            if (m == null && t == null && ad == null) throw new UsageException("give --model DIR|FILE.gguf, --tokenizer DIR and/or --adapter DIR");
            var info = new JsonObject();
            if (ad != null) info["adapter"] = AdapterInfo(ad);
            if (m != null && File.Exists(m) && TuneSharp.Models.Loading.TokenizerFiles.IsGguf(m)) info["gguf"] = GgufInfo(m);
            if (m != null && !(info["gguf"] is JsonObject g && (string?)g["type"] == "adapter"))
            {
                if (!Directory.Exists(m) && !File.Exists(m)) throw new UsageException($"{m}: no such model folder or file. Give a Hugging Face folder (config.json + *.safetensors) or a .gguf file.");
                using var lm = CausalLM.FromPretrained(m);
                var c = lm.Config;
                var dtypes = lm.NamedParameters().GroupBy(x => x.Parameter.DType.ToString())
                    .Select(g => KeyValuePair.Create(g.Key, (JsonNode?)g.Sum(x => x.Parameter.Shape.ElementCount)));
                info["model"] = new JsonObject
                {
                    ["path"] = Path.GetFullPath(m),
                    ["architecture"] = c.Architecture.ToString(),
                    ["model_type"] = c.ModelType,
                    ["parameters"] = lm.ParameterCount,
                    ["parameters_by_dtype"] = new JsonObject(dtypes),
                    ["torch_dtype"] = c.TorchDtype,
                    ["hidden_size"] = c.HiddenSize,
                    ["intermediate_size"] = c.IntermediateSize,
                    ["num_hidden_layers"] = c.NumHiddenLayers,
                    ["num_attention_heads"] = c.NumAttentionHeads,
                    ["num_key_value_heads"] = c.NumKeyValueHeads,
                    ["head_dim"] = c.HeadDim,
                    ["vocab_size"] = c.VocabSize,
                    ["max_position_embeddings"] = c.MaxPositionEmbeddings,
                    ["rope_theta"] = c.RopeTheta,
                    ["tie_word_embeddings"] = c.TieWordEmbeddings,
                    ["hidden_act"] = c.HiddenAct,
                    ["eos_token_id"] = new JsonArray(c.EosTokenIds.Select(x => (JsonNode)x).ToArray()),
                    ["linear_layers"] = lm.Linears.Count(),
                };
                t ??= Directory.Exists(m) ? m : null;
                if (t == null && File.Exists(m)) info["tokenizer"] = Tok(TuneSharp.Models.Loading.TokenizerFiles.FromFile(m), m, null);
            }
            if (t != null)
            {
                if (!Directory.Exists(t)) throw new UsageException($"{t}: tokenizer folder not found");
                var template = ChatTemplate.TryFromDirectory(t);
                info["tokenizer"] = Tok(Tokenizer.FromPretrained(t), t, template);
            }
            if (p.GetValue(json)) Console.Out.WriteLine(info.ToJsonString());
            else Print(info, "");
            return 0;
        });
        return cmd;
    }

    /// <summary>A GGUF's file type and the ggml type of every tensor (quantized files used to show as F32 after dequantization).</summary>
    private static JsonObject GgufInfo(string path)
    {
        var f = TuneSharp.Tensors.IO.Gguf.GgufFile.Open(path);
        var byType = f.Tensors.GroupBy(x => x.Type.ToString()).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => KeyValuePair.Create(g.Key, (JsonNode?)g.Count()));
        var tensors = new JsonObject(f.Tensors.Select(x => KeyValuePair.Create(x.Name, (JsonNode?)$"{x.Type} [{string.Join(", ", x.Dims)}]")));
        return new JsonObject
        {
            ["architecture"] = f.GetString("general.architecture"),
            ["type"] = f.GetString("general.type") ?? "model",
            ["file_type"] = f.GetInt("general.file_type"),
            ["tensors_by_type"] = new JsonObject(byType),
            ["tensors"] = tensors,
        };
    }

    private static JsonObject AdapterInfo(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: adapter folder not found");
        var c = TuneSharp.Nn.Peft.PeftAdapter.ReadConfig(folder);
        var weights = Path.Combine(folder, TuneSharp.Nn.Peft.PeftAdapter.WeightsFileName);
        int count = 0;
        long parameters = 0;
        if (File.Exists(weights))
        {
            using var st = TuneSharp.Tensors.IO.SafeTensorsFile.Open(weights);
            foreach (var n in st.Names) { count++; parameters += st.GetInfo(n).Shape.Aggregate(1L, (a, b) => a * b); }
        }
        return new JsonObject
        {
            ["path"] = Path.GetFullPath(folder),
            ["base_model"] = c.BaseModelNameOrPath,
            ["r"] = c.R,
            ["lora_alpha"] = c.LoraAlpha,
            ["use_rslora"] = c.UseRslora,
            ["target_modules"] = c.TargetModulesRegex ?? string.Join(", ", c.TargetModules),
            ["modules_to_save"] = string.Join(", ", c.ModulesToSave),
            ["tensors"] = count,
            ["parameters"] = parameters,
        };
    }

    private static JsonObject Tok(Tokenizer tok, string path, ChatTemplate? template)
    {
        JsonNode? Special(string? token, int? id) => token == null ? null : new JsonObject { ["token"] = token, ["id"] = id };
        return new JsonObject
        {
            ["path"] = Path.GetFullPath(path),
            ["vocab_size"] = tok.VocabSize,
            ["bos"] = Special(tok.BosToken, tok.BosTokenId),
            ["eos"] = Special(tok.EosToken, tok.EosTokenId),
            ["pad"] = Special(tok.PadToken, tok.PadTokenId),
            ["unk"] = Special(tok.UnkToken, tok.UnkTokenId),
            ["add_bos_token"] = tok.AddBosToken,
            ["special_added_tokens"] = tok.AddedTokens.Count(a => a.Special),
            ["chat_template"] = template != null,
            ["chat_template_generation_blocks"] = template?.HasGenerationBlocks ?? false,
        };
    }

    private static void Print(JsonObject o, string indent)
    {
        foreach (var (k, v) in o)
        {
            if (v is JsonObject child && child.All(x => x.Value is not JsonObject) && child.ContainsKey("token"))
                Console.Out.WriteLine($"{indent}{k}: {child["token"]} (id {child["id"]})");
            else if (v is JsonObject nested)
            {
                Console.Out.WriteLine($"{indent}{k}:");
                Print(nested, indent + "  ");
            }
            else Console.Out.WriteLine($"{indent}{k}: {(v is null ? "none" : v is JsonArray a ? string.Join(", ", a) : v.ToString())}");
        }
    }
}
