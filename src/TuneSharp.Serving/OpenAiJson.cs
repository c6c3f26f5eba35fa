// OpenAI wire objects (chat.completion, chat.completion.chunk, text_completion, errors, models, usage) as JSON nodes.
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using TuneSharp.Inference;
using TuneSharp.Inference.Scheduling;

namespace TuneSharp.Serving;

internal static class OpenAiJson
{
    public static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Text(JsonNode node) => node.ToJsonString(Options);

    public static string? Finish(FinishReason? r) => r switch
    {
        FinishReason.Stop or FinishReason.StopString => "stop",
        FinishReason.Length => "length",
        _ => null,
    };

    public static JsonObject Error(OpenAiException e) => new()
    {
        ["error"] = new JsonObject { ["message"] = e.Message, ["type"] = e.Type, ["param"] = e.Param, ["code"] = e.Code },
    };

    public static JsonObject Usage(int prompt, int completion) => new()
    {
        ["prompt_tokens"] = prompt,
        ["completion_tokens"] = completion,
        ["total_tokens"] = prompt + completion,
    };

    private static JsonArray Bytes(string s) => new(Encoding.UTF8.GetBytes(s).Select(b => (JsonNode)(int)b).ToArray());

    /// <summary>Chat logprobs content entries for the given tokens.</summary>
    public static JsonObject ChatLogprobs(IEnumerable<SequenceToken> tokens, ServingEngine engine)
    {
        var content = new JsonArray();
        foreach (var t in tokens)
        {
            if (t.Logprob is not float lp) continue;
            var text = engine.TokenText(t.Id);
            var top = new JsonArray();
            foreach (var alt in t.Top ?? [])
            {
                var at = engine.TokenText(alt.Id);
                top.Add(new JsonObject { ["token"] = at, ["logprob"] = alt.Logprob, ["bytes"] = Bytes(at) });
            }
            content.Add(new JsonObject { ["token"] = text, ["logprob"] = lp, ["bytes"] = Bytes(text), ["top_logprobs"] = top });
        }
        return new JsonObject { ["content"] = content };
    }

    /// <summary>Legacy completions logprobs: tokens, token_logprobs, top_logprobs (token → logprob), text_offset.</summary>
    public static JsonObject CompletionLogprobs(IEnumerable<SequenceToken> tokens, ServingEngine engine, int offset = 0)
    {
        var toks = new JsonArray();
        var lps = new JsonArray();
        var tops = new JsonArray();
        var offs = new JsonArray();
        foreach (var t in tokens)
        {
            if (t.Logprob is not float lp) continue;
            var text = engine.TokenText(t.Id);
            toks.Add(text);
            lps.Add(lp);
            var top = new JsonObject();
            foreach (var alt in t.Top ?? []) top[engine.TokenText(alt.Id)] = alt.Logprob;
            tops.Add(top);
            offs.Add(offset);
            offset += text.Length;
        }
        return new JsonObject { ["tokens"] = toks, ["token_logprobs"] = lps, ["top_logprobs"] = tops, ["text_offset"] = offs };
    }
}
