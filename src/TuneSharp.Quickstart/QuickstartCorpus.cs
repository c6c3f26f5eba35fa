// Builds the quickstart's datasets from the embedded glossary: pre-training documents and chat-format Q/A conversations.
using System.Text.Json.Nodes;
using TuneSharp.Data;

namespace TuneSharp.Quickstart;

public static class QuickstartCorpus
{
    private static readonly string[] EnglishDoc =
    [
        "{0} means {1}.",
        "In international trade, the term {0} refers to {1}.",
        "Every trader should know {0}: it is {1}.",
    ];

    private static readonly string[] KoreanDoc =
    [
        "{0}(이)란 {1}을(를) 말한다.",
        "무역에서 {0}은(는) {1}을(를) 뜻한다.",
    ];

    private static readonly string[] DefinitionQuestions = ["What is {0}?", "Define {0}.", "Explain {0} briefly.", "What does {0} mean?"];

    private static readonly string[] DefinitionQuestionsKo = ["{0}이(가) 무엇인가요?", "{0}의 정의를 알려 주세요."];

    /// <summary>Rows per glossary term in <see cref="Instructions"/>.</summary>
    public static int InstructionsPerTerm => DefinitionQuestions.Length + 1 + DefinitionQuestionsKo.Length;

    /// <summary>Continued pre-training text: each definition in several phrasings, plus the narrative paragraphs.</summary>
    public static Dataset PretrainingText()
    {
        var rows = new List<JsonObject>();
        foreach (var t in TradeGlossary.Terms)
        {
            foreach (var f in EnglishDoc) rows.Add(Text(string.Format(f, t.Term, t.Definition)));
            foreach (var f in KoreanDoc) rows.Add(Text(string.Format(f, t.TermKo, t.DefinitionKo)));
        }
        foreach (var p in TradeGlossary.Paragraphs) rows.Add(Text(p));
        return new Dataset(rows, "quickstart pre-training text");
    }

    /// <summary>
    /// The instruction set: per term, English and Korean questions in both directions, as single-turn chat
    /// conversations. Every row carries its term so held-out splits can be made by term.
    /// </summary>
    public static Dataset Instructions()
    {
        var rows = new List<JsonObject>();
        foreach (var t in TradeGlossary.Terms)
        {
            string upper = char.ToUpperInvariant(t.Term[0]) + t.Term[1..];
            // Several phrasings of "define it" teach that the phrasing does not matter, only the term (the held-out
            // questions use yet other phrasings); one reverse question teaches the term from its definition.
            foreach (var q in DefinitionQuestions) rows.Add(Chat(t.Term, string.Format(q, t.Term), $"{upper} is {t.Definition}."));
            rows.Add(Chat(t.Term, $"Which term means {t.Definition}?", $"That is {t.Term}."));
            foreach (var q in DefinitionQuestionsKo) rows.Add(Chat(t.Term, string.Format(q, t.TermKo), $"{t.TermKo}은(는) {t.DefinitionKo}입니다."));
        }
        return new Dataset(rows, "quickstart instructions");
    }

    /// <summary>
    /// The held-out evaluation set: for every trained term, questions phrased differently from the training questions,
    /// with the answers training taught. It measures whether tuning taught the terms, not whether the model can guess
    /// terms it never saw. Each row carries its term.
    /// </summary>
    public static Dataset HeldOutQuestions()
    {
        var rows = new List<JsonObject>();
        foreach (var t in TradeGlossary.Terms)
        {
            string upper = char.ToUpperInvariant(t.Term[0]) + t.Term[1..];
            rows.Add(Chat(t.Term, $"Can you explain {t.Term}?", $"{upper} is {t.Definition}."));
            rows.Add(Chat(t.Term, $"Could you tell me what {t.Term} means?", $"{upper} is {t.Definition}."));
            rows.Add(Chat(t.Term, $"{t.TermKo}의 뜻은 무엇인가요?", $"{t.TermKo}은(는) {t.DefinitionKo}입니다."));
        }
        return new Dataset(rows, "quickstart held-out questions");
    }

    /// <summary>Every text the tokenizer should cover (the tokenizer is trained on it).</summary>
    public static IEnumerable<string> AllText()
    {
        foreach (var r in PretrainingText().Rows) yield return r["text"]!.GetValue<string>();
        foreach (var r in Instructions().Rows.Concat(HeldOutQuestions().Rows))
            foreach (var m in r["messages"]!.AsArray()) yield return m!["content"]!.GetValue<string>();
    }

    private static JsonObject Text(string s) => new() { ["text"] = s };

    private static JsonObject Chat(string term, string question, string answer) => new()
    {
        ["term"] = term,
        ["messages"] = new JsonArray(
            new JsonObject { ["role"] = "user", ["content"] = question },
            new JsonObject { ["role"] = "assistant", ["content"] = answer }),
    };
}
