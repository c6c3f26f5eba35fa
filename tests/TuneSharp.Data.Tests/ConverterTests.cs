// Exam and glossary converters, and the LLM Q/A extractor against a fake OpenAI-compatible endpoint.
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using TuneSharp.Data;
using TuneSharp.Data.Converters;

namespace TuneSharp.Data.Tests;

public sealed class ConverterTests
{
    [Fact]
    public void ExamBlocksBecomeInstructionPairs()
    {
        var text = """
            무역 실무 모의고사

            1. 질문: FOB 조건에서 위험이 매수인에게 이전되는 시점은?
            정답: 물품이 선적항에서 본선에 적재된 때
            해설: 인코텀즈 2020 기준.
            2. 질문: 신용장 거래에서 개설은행의 역할은
            무엇인가?
            정답: 수익자에게 대금 지급을 확약한다.
            3. 질문: 답이 없는 문제
            """;
        var warnings = new List<string>();
        var rows = ExamConverter.Convert(text, "exam.txt", warnings.Add);
        Assert.Equal(2, rows.Count);
        Assert.Equal("FOB 조건에서 위험이 매수인에게 이전되는 시점은?", rows[0]["instruction"]!.GetValue<string>());
        Assert.Equal("물품이 선적항에서 본선에 적재된 때\n인코텀즈 2020 기준.", rows[0]["output"]!.GetValue<string>());
        Assert.Equal("신용장 거래에서 개설은행의 역할은\n무엇인가?", rows[1]["instruction"]!.GetValue<string>());
        Assert.Single(warnings);
        Assert.Contains("exam.txt:9", warnings[0]);
    }

    [Fact]
    public void ExamWithoutBlocksIsAnError()
    {
        var e = Assert.Throws<DataFormatException>(() => ExamConverter.Convert("just prose", "x.txt"));
        Assert.Contains("질문:", e.Message);
    }

    [Fact]
    public void GlossaryExpandsBothDirections()
    {
        var glossary = Dataset.FromRows([
            new JsonObject { ["term"] = "선하증권", ["description"] = "운송인이 화물을 수령했음을 증명하는 유가증권" },
            new JsonObject { ["term"] = "Incoterms", ["description"] = "Rules defining seller and buyer duties in trade" },
        ]);
        var rows = GlossaryConverter.Convert(glossary);
        Assert.Equal(4, rows.Count);
        Assert.Equal("'선하증권'(이)란 무엇인가요?", rows[0]["instruction"]!.GetValue<string>());
        Assert.Equal("선하증권", rows[1]["output"]!.GetValue<string>());
        Assert.Equal("What does the term \"Incoterms\" mean?", rows[2]["instruction"]!.GetValue<string>());
    }

    [Fact]
    public async Task LlmExtractorParsesGoodRepliesAndSkipsBadOnes()
    {
        var replies = new Queue<string>([
            "```json\n{\"qa_pairs\":[{\"question\":\"What is a B/L?\",\"answer\":\"A bill of lading.\"}]}\n```",
            "Sorry, I cannot help with that.",
            "{\"qa_pairs\": [{\"question\": \"Q2\"}, {\"question\": \"Q3\", \"answer\": \"A3\"}]}",
            "{\"qa_pairs\": [ broken",
        ]);
        var handler = new FakeHandler(() =>
        {
            var content = replies.Dequeue();
            var body = new JsonObject { ["choices"] = new JsonArray(new JsonObject { ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = content } }) };
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        });
        var log = new List<string>();
        var extractor = new LlmQaExtractor(new HttpClient(handler), new LlmQaExtractorOptions { Endpoint = "http://127.0.0.1:1/v1", ChunkChars = 40 }, log.Add);
        var text = string.Join("\n\n", Enumerable.Range(1, 4).Select(i => $"Paragraph {i} about shipping documents."));
        var rows = await extractor.ExtractAsync(text, "call.txt");
        Assert.Equal(4, handler.Calls);
        Assert.Equal(["What is a B/L?", "Q3"], rows.Select(r => r["instruction"]!.GetValue<string>()));
        Assert.Equal(3, log.Count);
        Assert.All(log, l => Assert.Contains("call.txt chunk", l));
    }

    [Fact]
    public async Task LlmExtractorSurvivesHttpErrors()
    {
        var handler = new FakeHandler(() => new HttpResponseMessage(HttpStatusCode.InternalServerError));
        var log = new List<string>();
        var extractor = new LlmQaExtractor(new HttpClient(handler), new LlmQaExtractorOptions { Endpoint = "http://127.0.0.1:1/v1" }, log.Add);
        // Every chunk failing is the error itself (issue 14), never an empty result blamed on the input.
        var e = await Assert.ThrowsAsync<LlmEndpointException>(() => extractor.ExtractAsync("some text", "t.txt"));
        Assert.Equal(LlmFailureKind.Server, e.Kind);
        Assert.Contains("HTTP 500", e.Message);
        Assert.Contains("HTTP 500", log.Single());
    }

    private sealed class FakeHandler(Func<HttpResponseMessage> respond) : HttpMessageHandler
    {
        public int Calls { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Calls++;
            Assert.EndsWith("/v1/chat/completions", request.RequestUri!.AbsoluteUri);
            return Task.FromResult(respond());
        }
    }
}
