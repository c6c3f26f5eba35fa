// On-disk judgment cache: one JSON file per SHA-256 of (model, system prompt, user prompt, temperature, max tokens).
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using TuneSharp.Tensors.IO;

namespace TuneSharp.Evaluation.Judge;

/// <summary>
/// A rerun with the same prompts reads replies from here instead of calling the endpoint, so an interrupted run
/// resumes where it stopped. Files are written atomically (temp + rename) as each reply arrives; the API key is
/// never part of the key or the file.
/// </summary>
public sealed class JudgeCache(string folder)
{
    public string Folder { get; } = folder;

    public static string Key(string model, string system, string user, float temperature, int maxTokens)
    {
        var text = new JsonObject { ["model"] = model, ["system"] = system, ["user"] = user, ["temperature"] = temperature, ["max_tokens"] = maxTokens }.ToJsonString();
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    private string PathOf(string key) => Path.Combine(Folder, key[..2], key + ".json");

    public bool TryGet(string key, out string content, out long promptTokens, out long completionTokens)
    {
        content = ""; promptTokens = completionTokens = 0;
        var path = PathOf(key);
        if (!File.Exists(path)) return false;
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(path));
            content = node?["content"]?.GetValue<string>() ?? "";
            promptTokens = node?["prompt_tokens"]?.GetValue<long>() ?? 0;
            completionTokens = node?["completion_tokens"]?.GetValue<long>() ?? 0;
            return node?["content"] is not null;
        }
        catch (System.Text.Json.JsonException) { return false; } // a damaged entry is simply asked again
    }

    public void Put(string key, string model, string content, long promptTokens, long completionTokens)
    {
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllText(path, new JsonObject
        {
            ["model"] = model, ["content"] = content, ["prompt_tokens"] = promptTokens, ["completion_tokens"] = completionTokens,
        }.ToJsonString());
    }
}
