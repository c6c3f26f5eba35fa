// Post-processor `TemplateProcessing` (and Bert/Roberta processing for single sequences): special ids before and after $A.
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.PostProcessors;

internal sealed class TemplatePostProcessor(int[][] before, int[][] after) : PostProcessor
{
    public IReadOnlyList<int[]> Before => before;
    public IReadOnlyList<int[]> After => after;

    public static TemplatePostProcessor FromJson(JsonNode n)
    {
        var specials = new Dictionary<string, int[]>(StringComparer.Ordinal);
        if (n.Get("special_tokens") is { } st)
            foreach (var (name, v) in st.Properties())
                specials[name] = v.Require("ids").Items().Select(x => x.AsInt()).ToArray();
        var before = new List<int[]>();
        var after = new List<int[]>();
        bool seenA = false;
        foreach (var item in n.Require("single").Items())
        {
            string? special = null;
            if (item.Kind == System.Text.Json.JsonValueKind.String)
            {
                var s = item.AsString();
                if (s == "$A" || s.StartsWith("$A:", StringComparison.Ordinal) || s == "$") { seenA = true; continue; }
                special = s.Contains(':') ? s[..s.LastIndexOf(':')] : s;
            }
            else if (item.Get("SpecialToken") is { } tok) special = tok.Require("id").AsString();
            else if (item.Get("Sequence") is { } seq)
            {
                if (seq.Require("id").AsString() != "A") throw seq.Error("single template may only use sequence A");
                seenA = true;
                continue;
            }
            else throw item.Error("template item must be SpecialToken or Sequence");
            if (!specials.TryGetValue(special, out var ids))
                throw new TokenizerFormatException($"template special token '{special}' is not listed in special_tokens", item.File, item.Path);
            (seenA ? after : before).Add(ids);
        }
        return new TemplatePostProcessor(before.ToArray(), after.ToArray());
    }

    public override void Process(List<int> ids, List<(int Start, int End)> offsets, List<bool> special, bool addSpecialTokens)
    {
        if (!addSpecialTokens) return;
        int pre = 0;
        foreach (var b in before) pre += b.Length;
        if (pre > 0)
        {
            var head = before.SelectMany(x => x).ToArray();
            ids.InsertRange(0, head);
            offsets.InsertRange(0, Enumerable.Repeat((0, 0), pre));
            special.InsertRange(0, Enumerable.Repeat(true, pre));
        }
        foreach (var a in after)
        {
            ids.AddRange(a);
            for (int i = 0; i < a.Length; i++) { offsets.Add((0, 0)); special.Add(true); }
        }
    }
}
