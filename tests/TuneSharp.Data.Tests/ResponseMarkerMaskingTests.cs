// Response-marker masking equals TRL's DataCollatorForCompletionOnlyLM on fixtures from tests/golden/gen_response_masking.py
// (token ids from @lenml/tokenizers, labels from TRL's algorithm), including markers that tokenize differently in context.
using System.Text.Json.Nodes;
using TuneSharp.Data.Formatting;
using TuneSharp.Testing;
using TuneSharp.Tokenizers;

namespace TuneSharp.Data.Tests;

public sealed class ResponseMarkerMaskingTests
{
    private static readonly Dictionary<string, Tokenizer> Tokenizers = [];

    private static Tokenizer Tok(string name)
    {
        lock (Tokenizers)
        {
            if (!Tokenizers.TryGetValue(name, out var t)) Tokenizers[name] = t = Tokenizer.FromPretrained(SharedAssets.Require($"tokenizers/{name}"));
            return t;
        }
    }

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases()) data.Add(c!["name"]!.GetValue<string>());
        return data;
    }

    private static JsonArray Cases() => (JsonArray)JsonNode.Parse(File.ReadAllText(GoldenData.Path("response_marker_expected.json")))!;

    private static int[] Ints(JsonNode? n) => n!.AsArray().Select(x => x!.GetValue<int>()).ToArray();

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void LabelsEqualTrlCollator(string name)
    {
        var c = Cases().First(x => x!["name"]!.GetValue<string>() == name)!;
        var tok = Tok(c["tokenizer"]!.GetValue<string>());
        // Strings are encoded by our tokenizer here (they must give TRL's ids); in-context cases pass the ids.
        string responseSpec = c["response_template"]?.GetValue<string>() ?? $"[{string.Join(", ", Ints(c["response_ids"]))}]";
        var response = ResponseMarker.Parse(responseSpec, tok, "response_template");
        Assert.Equal(Ints(c["response_ids"]), response.Ids);
        ResponseMarker? instruction = null;
        if (c["instruction_ids"] is { } iids)
        {
            string spec = c["instruction_template"]?.GetValue<string>() ?? $"[{string.Join(", ", Ints(iids))}]";
            instruction = ResponseMarker.Parse(spec, tok, "instruction_template");
            Assert.Equal(Ints(iids), instruction.Ids);
        }
        var masker = new CompletionOnlyMasker(response, instruction);
        int r = 0;
        foreach (var row in c["rows"]!.AsArray())
        {
            var ids = Ints(row!["input_ids"]);
            Assert.Equal(ids, tok.Encode(row["text"]!.GetValue<string>(), addSpecialTokens: true));
            var result = masker.Mask(ids);
            Assert.True(Ints(row["labels"]).SequenceEqual(result.Labels), $"{name} row {r}: expected [{string.Join(",", Ints(row["labels"]))}] got [{string.Join(",", result.Labels)}]");
            var warnings = row["warnings"]!.AsArray().Select(w => w!.GetValue<string>()).ToArray();
            Assert.Equal(warnings.Contains("response"), !result.ResponseFound);
            if (instruction != null) Assert.Equal(warnings.Contains("instruction"), !result.InstructionFound);
            r++;
        }
    }

    [Fact]
    public void FormatterInMarkerModeGivesTheCollatorLabelsAndWarnsWithTheInContextIds()
    {
        var c = Cases().First(x => x!["name"]!.GetValue<string>() == "alpaca_qwen3_no_newline_marker")!;
        var tok = Tok("qwen3");
        var rows = c["rows"]!.AsArray().Select(r => new JsonObject { ["text"] = r!["text"]!.GetValue<string>() }).ToList();
        var formatter = new PromptFormatter(tok, new PromptFormatOptions
        {
            Kind = PromptFormatKind.Text, ResponseMarker = "### Response:", AppendEos = false,
        });
        var warnings = new List<string>();
        var formatted = formatter.FormatAll(new Dataset(rows, "alpaca.jsonl"), warnings.Add);
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.Equal(Ints(c["rows"]![i]!["input_ids"]), formatted.Examples[i].InputIds);
            Assert.Equal(Ints(c["rows"]![i]!["labels"]), formatted.Examples[i].Labels);
        }
        Assert.Equal(2, warnings.Count);
        Assert.StartsWith("alpaca.jsonl: row 1: could not find the response marker '### Response:'", warnings[0]);
        Assert.Contains("tokenizes differently in context", warnings[0]);
        // The suggested in-context ids then match: the row trains on its response.
        var suggested = warnings[0][(warnings[0].LastIndexOf('[') )..].TrimEnd('.');
        var fixedFormatter = new PromptFormatter(tok, new PromptFormatOptions { Kind = PromptFormatKind.Text, ResponseMarker = suggested, AppendEos = false });
        var again = fixedFormatter.Format(rows[0], "row 1");
        Assert.Null(again.MissingMarker);
        Assert.Equal("hi<|endoftext|>", tok.Decode(again.InputIds.Zip(again.Labels).Where(p => p.Second != -100).Select(p => p.First)));
    }

    [Fact]
    public void MultiTurnWithInstructionMarkerTrainsOnlyAssistantTurns()
    {
        var tok = Tok("llama3");
        var formatter = new PromptFormatter(tok, new PromptFormatOptions
        {
            Kind = PromptFormatKind.Text, ResponseMarker = "### Assistant:", InstructionMarker = "### Human:", AppendEos = false,
        });
        var e = formatter.Format(new JsonObject { ["text"] = "### Human: 무역 용어?\n### Assistant: 선하증권\n### Human: 영어로?\n### Assistant: Bill of Lading" }, "row 1");
        var trained = e.InputIds.Zip(e.Labels).Select(p => p.Second == -100 ? -1 : p.First).ToArray();
        var spans = new List<string>();
        for (int i = 0; i < trained.Length;)
        {
            if (trained[i] < 0) { i++; continue; }
            int j = i;
            while (j < trained.Length && trained[j] >= 0) j++;
            spans.Add(tok.Decode(e.InputIds.AsSpan(i, j - i)));
            i = j;
        }
        Assert.Equal([" 선하증권\n", " Bill of Lading"], spans);
    }

    [Fact]
    public void BadMarkerSettingsAreNamedErrors()
    {
        var tok = Tok("tinystories-656k");
        Assert.Contains("outside the vocabulary", Assert.Throws<DataFormatException>(() => ResponseMarker.Parse("[1, 999999]", tok, "response_template")).Message);
        Assert.Contains("needs a response_template", Assert.Throws<DataFormatException>(() =>
            new PromptFormatter(tok, new PromptFormatOptions { Kind = PromptFormatKind.Text, InstructionMarker = "User:" })).Message);
    }
}
