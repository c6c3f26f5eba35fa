// Splits exam text into question/answer rows: "질문: … 정답: …" blocks inline or one marker per line, numbered
// questions without a question marker, multiple-choice options (kept in the question), answers with explanations.
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace TuneSharp.Data.Converters;

/// <summary>
/// Accepts the layouts exam material comes in, e.g. the seed's one-line blocks
/// <code>질문: 신용장 당사자가 아닌 것은? 1. 개설은행 2. 수익자 3. 관세청 4. 통지은행 정답: 관세청</code>
/// marker-per-line blocks (<c>1. 질문: …</c> / <c>정답: …</c> / <c>해설: …</c>), and numbered questions with options on their
/// own lines and only an answer marker. Each block yields
/// <c>{"instruction": question with its options one per line, "input": "", "output": answer [+ "\n" + explanation], "context": block}</c>.
/// An answer given as an option number ("3", "③", "3번") becomes that option's text. Blocks without an answer are
/// reported (file:line) and skipped; the rest are converted.
/// </summary>
public static partial class ExamConverter
{
    // An optional question number before the marker belongs to the question, not to the previous answer.
    [GeneratedRegex(@"(?:(?<=^|\s)\d{1,4}\s*[.)]\s*)?(?<!\p{L})(?:질문|문제|Question|Q\d*)\s*[:：]", RegexOptions.IgnoreCase | RegexOptions.Multiline)]
    private static partial Regex QuestionMarker();

    [GeneratedRegex(@"(?<!\p{L})(?:정답|답|Answer|(?<=^[ \t]*)A)\s*[:：]", RegexOptions.IgnoreCase | RegexOptions.Multiline)]
    private static partial Regex AnswerMarker();

    [GeneratedRegex(@"(?:해설|풀이|Explanation)\s*[:：]", RegexOptions.IgnoreCase)]
    private static partial Regex ExplanationMarker();

    // A question number at the start of a line ("12.", "12)", "문제 12.", "Q12.") when there are no question markers.
    [GeneratedRegex(@"^\s*(?:문제\s*|Q\s*)?\d{1,4}\s*[.)]\s+", RegexOptions.IgnoreCase | RegexOptions.Multiline)]
    private static partial Regex NumberedLine();

    [GeneratedRegex(@"^\s*(?:(\d{1,2})\s*(?:번|[.)])?|([①-⑩])|\((\d{1,2})\))\s*$")]
    private static partial Regex AnswerIsOptionNumber();

    private const string Circled = "①②③④⑤⑥⑦⑧⑨⑩";

    /// <summary>Converts exam text; <paramref name="source"/> names the input in warnings ("file:line: …").</summary>
    public static IReadOnlyList<JsonObject> Convert(string text, string source, Action<string>? warn = null)
    {
        var rows = ConvertLenient(text, source, warn);
        if (rows.Count == 0)
            throw new DataFormatException("found no question/answer blocks; each item needs a '정답:' (or 'Answer:') marker, and a '질문:' (or 'Question:') marker or a question number (\"1.\") before it", source);
        return rows;
    }

    /// <summary>Like <see cref="Convert"/> but returns an empty list instead of failing (for one record of many).</summary>
    public static IReadOnlyList<JsonObject> ConvertLenient(string text, string source, Action<string>? warn = null, int firstLine = 1)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        var rows = new List<JsonObject>();
        int LineOf(int index) => firstLine + text.AsSpan(0, Math.Min(index, text.Length)).Count('\n');
        var questions = QuestionMarker().Matches(text);
        if (questions.Count > 0)
        {
            for (int k = 0; k < questions.Count; k++)
            {
                int start = questions[k].Index, end = k + 1 < questions.Count ? questions[k + 1].Index : text.Length;
                var block = text[start..end];
                var qEnd = questions[k].Length;
                var a = AnswerMarker().Match(block, qEnd);
                if (!a.Success)
                {
                    warn?.Invoke($"{source}:{LineOf(start)}: question has no answer marker (정답:/Answer:); skipped");
                    continue;
                }
                var e = ExplanationMarker().Match(block, a.Index + a.Length);
                var question = block[qEnd..a.Index];
                var answer = e.Success ? block[(a.Index + a.Length)..e.Index] : block[(a.Index + a.Length)..];
                var explanation = e.Success ? block[(e.Index + e.Length)..] : null;
                Add(rows, question, answer, explanation, block, source, LineOf(start), warn);
            }
            return rows;
        }

        // No question markers: each answer marker closes a question that starts after the previous block. The answer and
        // explanation run to a blank line or the next numbered line.
        int from = 0;
        foreach (Match a in AnswerMarker().Matches(text))
        {
            if (a.Index < from) continue;
            int stop = BlockEnd(text, a.Index + a.Length);
            var e = ExplanationMarker().Match(text[..stop], a.Index + a.Length);
            var question = text[from..a.Index];
            var answer = e.Success ? text[(a.Index + a.Length)..e.Index] : text[(a.Index + a.Length)..stop];
            var explanation = e.Success ? text[(e.Index + e.Length)..stop] : null;
            int qStart = QuestionStart(question, from, source, LineOf, warn);
            Add(rows, question[qStart..], answer, explanation, text[(from + qStart)..stop], source, LineOf(from + qStart), warn);
            from = stop;
        }
        // A numbered question after the last answer never got one.
        var tail = text[from..];
        foreach (Match n in NumberedLine().Matches(tail))
            if (IsParagraphStart(tail, n.Index + LeadingBlank(tail, n.Index))) warn?.Invoke($"{source}:{LineOf(from + n.Index + LeadingBlank(tail, n.Index))}: question has no answer marker (정답:/Answer:); skipped");
        return rows;
    }

    // The question is the last paragraph that starts with a question number (headings and unanswered questions before it
    // are dropped, the latter with a warning), or the last paragraph when nothing is numbered.
    private static int QuestionStart(string question, int offset, string source, Func<int, int> lineOf, Action<string>? warn)
    {
        var starts = new List<int> { 0 };
        for (int i = question.IndexOf("\n\n", StringComparison.Ordinal); i >= 0; i = question.IndexOf("\n\n", i + 1, StringComparison.Ordinal))
            if (question[(i + 2)..].Trim().Length > 0) starts.Add(i + 2);
        var numbered = starts.Where(p => NumberedLine().Match(question, p) is { Success: true } m && m.Index == p).ToList();
        if (numbered.Count == 0) return starts[^1];
        foreach (var p in numbered.Take(numbered.Count - 1))
            warn?.Invoke($"{source}:{lineOf(offset + p + LeadingBlank(question, p))}: question has no answer marker (정답:/Answer:); skipped");
        return numbered[^1];
    }

    private static int LeadingBlank(string s, int p)
    {
        int k = p;
        while (k < s.Length && (s[k] == '\n' || s[k] == ' ' || s[k] == '\t')) k++;
        return k - p;
    }

    private static bool IsParagraphStart(string s, int index)
    {
        int lineStart = s.LastIndexOf('\n', Math.Max(0, index - 1));
        if (lineStart < 0) return true;
        return lineStart == 0 || s[lineStart - 1] == '\n' || s[..lineStart].Trim().Length == 0;
    }

    private static void Add(List<JsonObject> rows, string question, string answer, string? explanation, string block, string source, int line, Action<string>? warn)
    {
        question = StripNumber(question.Trim());
        var (stem, options) = SplitOptions(question);
        var q = options.Count >= 2 ? stem + "\n" + string.Join("\n", options.Select((o, i) => $"{i + 1}. {o}")) : question;
        var a = answer.Trim();
        var m = AnswerIsOptionNumber().Match(a);
        if (m.Success && options.Count >= 2)
        {
            int n = m.Groups[1].Success ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
                : m.Groups[2].Success ? Circled.IndexOf(m.Groups[2].Value[0], StringComparison.Ordinal) + 1
                : int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (n >= 1 && n <= options.Count) a = options[n - 1];
        }
        if (q.Length == 0) { warn?.Invoke($"{source}:{line}: empty question; skipped"); return; }
        if (a.Length == 0) { warn?.Invoke($"{source}:{line}: empty answer after 정답:; skipped"); return; }
        var e = explanation?.Trim();
        rows.Add(new JsonObject
        {
            ["instruction"] = q,
            ["input"] = "",
            ["output"] = string.IsNullOrEmpty(e) ? a : a + "\n" + e,
            ["context"] = block.Trim(),
        });
    }

    /// <summary>
    /// Splits "stem 1. a 2. b 3. c" (inline, glued after a period as in "은행.2.수익자", or one per line; also ①…⑩ and
    /// "(1)") into the stem and the options, when at least two consecutive numbers are found; numbers followed by a
    /// digit (2.5%) are not options.
    /// </summary>
    public static (string Stem, IReadOnlyList<string> Options) SplitOptions(string question)
    {
        var positions = new List<(int At, int Length)>();
        // Circled numbers first: unambiguous.
        for (int k = 0; k < Circled.Length; k++)
        {
            int at = question.IndexOf(Circled[k], positions.Count == 0 ? 0 : positions[^1].At + 1);
            if (at < 0) break;
            positions.Add((at, 1));
        }
        if (positions.Count < 2)
        {
            positions.Clear();
            foreach (var style in new[] { "{0}.", "({0})", "{0})" })
            {
                positions.Clear();
                int searchFrom = 0;
                for (int k = 1; k <= 10; k++)
                {
                    var token = string.Format(System.Globalization.CultureInfo.InvariantCulture, style, k);
                    int at = FindOptionNumber(question, token, searchFrom);
                    if (at < 0) break;
                    positions.Add((at, token.Length));
                    searchFrom = at + token.Length;
                }
                if (positions.Count >= 2) break;
            }
        }
        if (positions.Count < 2) return (question, []);
        var stem = question[..positions[0].At].Trim();
        var options = new List<string>();
        for (int i = 0; i < positions.Count; i++)
        {
            int s = positions[i].At + positions[i].Length, e = i + 1 < positions.Count ? positions[i + 1].At : question.Length;
            if (e > s && question[e - 1] == '.') e--; // "CIF.4. DAP": the period is glued to the next number
            options.Add(question[s..e].Trim().TrimEnd(',', ';').Trim());
        }
        if (options.Any(o => o.Length == 0)) return (question, []);
        return (stem, options);
    }

    private static int FindOptionNumber(string s, string token, int from)
    {
        for (int at = s.IndexOf(token, from, StringComparison.Ordinal); at >= 0; at = s.IndexOf(token, at + 1, StringComparison.Ordinal))
        {
            bool beforeOk = at == 0 || !char.IsDigit(s[at - 1]);
            int after = at + token.Length;
            bool afterOk = after >= s.Length || !char.IsDigit(s[after]);
            if (beforeOk && afterOk) return at;
        }
        return -1;
    }

    // "12. 질문" / "문제 3." / "Q3." at the start of a question is its number, not content.
    private static string StripNumber(string q)
    {
        var m = NumberedLine().Match(q);
        if (!m.Success || m.Index != 0) return q;
        var rest = q[m.Length..];
        // Keep "1." when it opens the first option of an unnumbered question (the stem would be empty).
        return SplitOptions(q) is { Options.Count: >= 2 } o && o.Stem.Length == 0 ? q : rest;
    }

    private static int BlockEnd(string text, int from)
    {
        int i = from;
        while (i < text.Length)
        {
            int nl = text.IndexOf('\n', i);
            if (nl < 0) return text.Length;
            int next = nl + 1;
            int lineEnd = text.IndexOf('\n', next);
            var line = text[next..(lineEnd < 0 ? text.Length : lineEnd)];
            if (line.Trim().Length == 0 || (NumberedLine().IsMatch(line) && !ExplanationMarker().IsMatch(line))) return next;
            i = next;
        }
        return text.Length;
    }

    /// <summary>
    /// Exam text of a file: plain text, or JSON/JSONL records whose <c>fixed_text</c> (or <c>text</c>) field holds it
    /// (the seed's layout); each record is converted on its own and named "file record N" in warnings.
    /// </summary>
    public static IReadOnlyList<JsonObject> ConvertFile(string path, Action<string>? warn = null)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is not (".json" or ".jsonl" or ".ndjson")) return Convert(File.ReadAllText(path), path, warn);
        var rows = new List<JsonObject>();
        var ds = Loading.DatasetFiles.Load(path);
        for (int i = 0; i < ds.Count; i++)
        {
            var field = new[] { "fixed_text", "text", "content" }.FirstOrDefault(f => ds[i][f] is JsonValue);
            if (field is null)
            {
                warn?.Invoke($"{path} record {i + 1}: no fixed_text/text field (fields: {string.Join(", ", ds[i].Select(p => p.Key))}); skipped");
                continue;
            }
            rows.AddRange(ConvertLenient(ds.GetString(i, field), $"{path} record {i + 1}", warn));
        }
        if (rows.Count == 0) throw new DataFormatException("found no question/answer blocks in any record's fixed_text", path);
        return rows;
    }
}
