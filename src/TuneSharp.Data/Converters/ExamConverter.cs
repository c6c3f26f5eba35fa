// Splits exam text into question/answer pairs: blocks marked "질문:" … "정답:" (or "Question:" … "Answer:").
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace TuneSharp.Data.Converters;

/// <summary>
/// Reads raw exam material where each item starts with a question marker and has an answer marker, e.g.
/// <code>
/// 1. 질문: 인코텀즈 FOB 조건에서 위험이 이전되는 시점은?
/// 정답: 물품이 선적항에서 본선에 적재된 때
/// 해설: …            (optional, appended to the answer)
/// </code>
/// and emits rows <c>{"instruction": question, "input": "", "output": answer}</c>.
/// </summary>
public static partial class ExamConverter
{
    [GeneratedRegex(@"^\s*(?:\d+\s*[.)]\s*)?(?:질문|문제|Question|Q)\s*[:：]\s*", RegexOptions.IgnoreCase)]
    private static partial Regex QuestionMarker();

    [GeneratedRegex(@"^\s*(?:정답|답|Answer|A)\s*[:：]\s*", RegexOptions.IgnoreCase)]
    private static partial Regex AnswerMarker();

    [GeneratedRegex(@"^\s*(?:해설|풀이|Explanation)\s*[:：]\s*", RegexOptions.IgnoreCase)]
    private static partial Regex ExplanationMarker();

    /// <summary>Converts exam text; <paramref name="source"/> names the input in errors and warnings.</summary>
    public static IReadOnlyList<JsonObject> Convert(string text, string source, Action<string>? warn = null)
    {
        var rows = new List<JsonObject>();
        StringBuilder? question = null, answer = null, explanation = null;
        StringBuilder? current = null;
        int questionLine = 0, lineNumber = 0;

        void Flush()
        {
            if (question is null) return;
            var q = question.ToString().Trim();
            var a = answer?.ToString().Trim() ?? "";
            if (a.Length == 0)
                warn?.Invoke($"{source}:{questionLine}: question has no answer marker (정답:/Answer:); skipped");
            else if (q.Length == 0)
                warn?.Invoke($"{source}:{questionLine}: empty question; skipped");
            else
            {
                var e = explanation?.ToString().Trim();
                rows.Add(new JsonObject
                {
                    ["instruction"] = q,
                    ["input"] = "",
                    ["output"] = string.IsNullOrEmpty(e) ? a : a + "\n" + e,
                });
            }
            question = answer = explanation = current = null;
        }

        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.TrimEnd('\r');
            Match m;
            if ((m = QuestionMarker().Match(line)).Success)
            {
                Flush();
                question = new StringBuilder(line[m.Length..]);
                questionLine = lineNumber;
                current = question;
            }
            else if (question != null && answer is null && (m = AnswerMarker().Match(line)).Success)
            {
                answer = new StringBuilder(line[m.Length..]);
                current = answer;
            }
            else if (answer != null && (m = ExplanationMarker().Match(line)).Success)
            {
                explanation = new StringBuilder(line[m.Length..]);
                current = explanation;
            }
            else if (current != null)
            {
                current.Append('\n').Append(line);
            }
        }
        Flush();
        if (rows.Count == 0)
            throw new DataFormatException("found no question/answer blocks; each item needs a '질문:' (or 'Question:') line and a '정답:' (or 'Answer:') line", source);
        return rows;
    }
}
