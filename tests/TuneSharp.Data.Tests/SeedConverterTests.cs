// The seeds' own layouts (tests/golden/data/seeds: exam fixed_text JSON, numbered exam text, glossaries in four schemas,
// review pairs) convert without hand editing; malformed rows are reported with file and line, the rest converted.
using System.Text.Json.Nodes;
using TuneSharp.Data.Augmentation;
using TuneSharp.Data.Converters;
using TuneSharp.Data.Loading;

namespace TuneSharp.Data.Tests;

public sealed class SeedConverterTests
{
    private static string Seed(string name) => GoldenData.Path("seeds", name);

    private static string S(JsonObject row, string field) => row[field]!.GetValue<string>();

    [Fact]
    public void ExamFixedTextJsonWithInlineBlocksAndOptions()
    {
        var warnings = new List<string>();
        var rows = ExamConverter.ConvertFile(Seed("exam_fixed_text.json"), warnings.Add);
        Assert.Equal(4, rows.Count);
        Assert.Equal("신용장 당사자가 아닌 것은?\n1. 개설은행\n2. 수익자\n3. 관세청\n4. 통지은행", S(rows[0], "instruction"));
        Assert.Equal("관세청", S(rows[0], "output"));
        Assert.StartsWith("질문: 신용장", S(rows[0], "context"));
        // "CIF.4. DAP": the glued period is split off the option.
        Assert.Equal("인코텀즈 2020에서 해상운송 전용 규칙이 아닌 것은?\n1. FAS\n2. FOB\n3. CIF\n4. DAP", S(rows[1], "instruction"));
        // An answer given as an option number becomes the option's text.
        Assert.Equal("보험증권", S(rows[2], "output"));
        Assert.Equal("개설은행", S(rows[3], "output"));
        Assert.Equal(2, warnings.Count);
        Assert.Contains("exam_fixed_text.json record 2:1: question has no answer marker", warnings[0]);
        Assert.Contains("exam_fixed_text.json record 3: no fixed_text/text field", warnings[1]);
    }

    [Fact]
    public void ExamNumberedQuestionsWithOptionLinesAndExplanations()
    {
        var warnings = new List<string>();
        var rows = ExamConverter.ConvertFile(Seed("exam_lines.txt"), warnings.Add);
        Assert.Equal(3, rows.Count);
        Assert.Equal("다음 중 무역계약의 기본조건이 아닌 것은?\n1. 품질조건\n2. 수량조건\n3. 가격조건\n4. 환율조건", S(rows[0], "instruction"));
        Assert.Equal("환율조건\n환율은 계약 조건이 아니라 결제 시점의 시장 변수이다.", S(rows[0], "output"));
        Assert.Equal("CIF 조건에서 매도인이 부보해야 하는 최소 보험금액은 송장금액의 몇 %인가?\n1. 100%\n2. 110%\n3. 120%\n4. 150%", S(rows[1], "instruction"));
        Assert.Equal("110%", S(rows[1], "output"));
        Assert.Equal("추심결제 방식 중 서류인도조건은?", S(rows[2], "instruction"));
        Assert.EndsWith("\nD/P는 Documents against Payment.", S(rows[2], "output"));
        Assert.EndsWith("exam_lines.txt:22: question has no answer marker (정답:/Answer:); skipped", Assert.Single(warnings));
    }

    [Fact]
    public void ExamOneMarkerPerLineStillWorks()
    {
        var rows = ExamConverter.Convert("Question: What is FOB?\nAnswer: Free On Board\nExplanation: an Incoterm.\nQ2: Two?\nA: 2", "e.txt");
        Assert.Equal(["What is FOB?", "Two?"], rows.Select(r => S(r, "instruction")));
        Assert.Equal("Free On Board\nan Incoterm.", S(rows[0], "output"));
    }

    [Fact]
    public void GlossariesWithFourSchemasBothDirectionsAndLanguages()
    {
        var warnings = new List<string>();
        var files = new[] { "glossary_terms.json", "glossary_kor_eng.jsonl", "glossary_nested.json", "glossary.csv" }.Select(Seed);
        var rows = GlossaryConverter.ConvertFiles(files, warn: warnings.Add);
        Assert.Equal(4 + 5 + 6 + 6, rows.Count);
        var byInstruction = rows.ToDictionary(r => S(r, "instruction"), r => S(r, "output"));
        Assert.Equal("개설은행이 수익자에게 대금 지급을 확약하는 증서", byInstruction["'Letter of Credit'(이)란 무엇인가요?"]);
        Assert.Equal("신용장, Letter of Credit", byInstruction["다음 설명에 해당하는 용어는 무엇인가요? 개설은행이 수익자에게 대금 지급을 확약하는 증서"]);
        Assert.Equal("송금방식, Remittance", byInstruction["다음 설명에 해당하는 용어는 무엇인가요? 수입상이 수출상에게 대금을 직접 보내는 결제 방식"]);
        Assert.Equal("관세, Customs Duty", byInstruction["다음 설명에 해당하는 용어는 무엇인가요? 수입 물품에 부과하는 세금"]);
        Assert.Equal("Rules that define the responsibilities of sellers and buyers in international trade", byInstruction["What does the term \"Incoterms\" mean?"]);
        Assert.Equal("신용장: 개설은행이 수익자에게 대금 지급을 확약하는 증서", S(rows.First(r => S(r, "output") == "신용장, Letter of Credit"), "context"));
        Assert.Equal(2, warnings.Count);
        Assert.Contains("glossary_terms.json: row 3: no term", warnings[0]);
        Assert.Contains("glossary_kor_eng.jsonl: row 3: no description", warnings[1]);
    }

    [Fact]
    public void GlossaryExplicitColumnsAndOneDirection()
    {
        var rows = GlossaryConverter.ConvertFiles([Seed("glossary.csv")], termColumn: "용어", descriptionColumn: "설명", englishColumn: "영문",
            directions: GlossaryConverter.Directions.Reverse);
        Assert.Equal(["관세, Customs Duty", "보세구역, Bonded Area"], rows.Select(r => S(r, "output")));
    }

    [Fact]
    public void AugmentKeepsOriginalsAndFollowsTheRatio()
    {
        var ds = DatasetFiles.Load(Seed("reviews.csv"));
        var ob = new HangulObfuscator();
        var rows = DatasetAugmenter.Augment(ds, "output", "input", ob, seed: 7, ratio: 2);
        Assert.Equal(4 + 4 * 2, rows.Count);
        Assert.Equal("방읾 넘무 조밥욤", S(rows[0], "input")); // the original pair, untouched
        Assert.All(rows.Skip(1).Take(2), r => Assert.Equal("방이 너무 좁아요", S(r, "output")));
        Assert.NotEqual("방이 너무 좁아요", S(rows[1], "input"));
        // Same seed, same rows; fractional ratios add a copy to about that share of rows.
        Assert.Equal(rows.Select(r => r.ToJsonString()), DatasetAugmenter.Augment(ds, "output", "input", ob, 7, 2).Select(r => r.ToJsonString()));
        var many = new Dataset(Enumerable.Range(0, 400).Select(i => new JsonObject { ["text"] = "방이 너무 좁아요" }).ToList(), "many");
        int n = DatasetAugmenter.Augment(many, "text", "obfuscated", ob, 1, 0.25, keepOriginals: false).Count;
        Assert.InRange(n, 70, 130);
        var only = DatasetAugmenter.Augment(many.Take(3), "text", "obfuscated", ob, 1, 0);
        Assert.All(only, r => Assert.Equal("방이 너무 좁아요", S(r, "obfuscated"))); // originals get an identity pair
    }
}
