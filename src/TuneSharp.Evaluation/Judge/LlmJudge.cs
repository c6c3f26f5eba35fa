// LLM-as-judge over any OpenAI-compatible endpoint via the official OpenAI .NET client: bounded concurrency, retries, cache, usage.
using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;
using OpenAI.Chat;

namespace TuneSharp.Evaluation.Judge;

/// <summary>
/// Judges items pointwise (1–5), MT-Bench style (1–10) or pairwise (A/B asked in both orders; a winner only when the
/// two games agree, as FastChat's consistency rule). Replies that hold no verdict are counted as unparsable; requests
/// that fail after retries are counted as failed — neither stops the run. Every reply is cached as it arrives.
/// </summary>
public sealed class LlmJudge
{
    private readonly JudgeOptions _o;
    private readonly ChatClient _client;
    private readonly JudgeCache? _cache;
    private readonly Action<string>? _log;
    private long _promptTokens, _completionTokens;
    private int _cacheHits, _connectionFailures, _requests;

    public LlmJudge(JudgeOptions options, Action<string>? log = null)
    {
        _o = options;
        _log = log;
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = options.Endpoint,
            // Our own retry loop (below) owns backoff and counting; the SDK's is switched off.
            RetryPolicy = new ClientRetryPolicy(0),
            NetworkTimeout = options.Timeout,
        };
        // Local servers often need no key, but the client requires one: a placeholder that is not a secret.
        _client = new ChatClient(options.Model, new ApiKeyCredential(string.IsNullOrEmpty(options.ApiKey) ? "no-key" : options.ApiKey), clientOptions);
        _cache = options.CacheDir is null ? null : new JudgeCache(options.CacheDir);
    }

    public JudgeOptions Options => _o;

    /// <summary>Scores each item (pointwise or MT-Bench mode), in input order.</summary>
    public async Task<IReadOnlyList<JudgeVerdict>> ScoreAsync(IReadOnlyList<JudgeItem> items, CancellationToken cancellationToken = default)
    {
        if (_o.Mode == JudgeMode.Pairwise) throw new InvalidOperationException("use CompareAsync for pairwise judging");
        var (min, max) = _o.ScoreRange;
        var results = new JudgeVerdict[items.Count];
        await ForEachAsync(items.Count, async i =>
        {
            var (text, error, cached) = await AskAsync(JudgePrompts.Render(_o.TemplateFor(items[i]), items[i]), cancellationToken).ConfigureAwait(false);
            if (error is not null) { results[i] = new JudgeVerdict(null, null, "", false, error, false); return; }
            var score = VerdictParser.Score(text, min, max);
            results[i] = new JudgeVerdict(score, null, text, score is null, null, cached);
        }, cancellationToken).ConfigureAwait(false);
        ThrowIfUnreachable(items.Count);
        return results;
    }

    /// <summary>Pairwise: item.Answer is model A's, item.AnswerB model B's; each item costs two games (A/B, then B/A).</summary>
    public async Task<IReadOnlyList<JudgeVerdict>> CompareAsync(IReadOnlyList<JudgeItem> items, CancellationToken cancellationToken = default)
    {
        var template = _o.PromptTemplate ?? JudgePrompts.Pairwise;
        var results = new JudgeVerdict[items.Count];
        await ForEachAsync(items.Count, async i =>
        {
            var it = items[i];
            var g1 = await AskAsync(JudgePrompts.Render(template, it, it.Answer, it.AnswerB), cancellationToken).ConfigureAwait(false);
            var g2 = await AskAsync(JudgePrompts.Render(template, it, it.AnswerB, it.Answer), cancellationToken).ConfigureAwait(false);
            var error = g1.Error ?? g2.Error;
            if (error is not null) { results[i] = new JudgeVerdict(null, null, g1.Text, false, error, false); return; }
            string? v1 = VerdictParser.Pair(g1.Text), v2 = VerdictParser.Pair(g2.Text);
            if (v1 is null || v2 is null) { results[i] = new JudgeVerdict(null, null, v1 is null ? g1.Text : g2.Text, true, null, g1.Cached && g2.Cached); return; }
            // Game 2 swapped positions, so its "A" is model B.
            string winner = (v1, v2) switch { ("A", "B") => "model_a", ("B", "A") => "model_b", _ => "tie" };
            results[i] = new JudgeVerdict(null, winner, g1.Text, false, null, g1.Cached && g2.Cached);
        }, cancellationToken).ConfigureAwait(false);
        ThrowIfUnreachable(items.Count * 2);
        return results;
    }

    /// <summary>Counts and totals of a finished run (usage includes replies read from the cache).</summary>
    public JudgeSummary Summarize(IReadOnlyList<JudgeVerdict> verdicts)
    {
        var scores = verdicts.Where(v => v.Score is not null).Select(v => v.Score!.Value).ToList();
        var hist = new SortedDictionary<int, int>();
        if (_o.Mode != JudgeMode.Pairwise)
        {
            var (min, max) = _o.ScoreRange;
            for (int s = min; s <= max; s++) hist[s] = 0;
            foreach (var s in scores) hist[(int)Math.Floor(s + 0.5)]++;
        }
        var wins = verdicts.Where(v => v.Winner is not null).GroupBy(v => v.Winner!).ToDictionary(g => g.Key, g => g.Count());
        return new JudgeSummary
        {
            Mode = _o.Mode.ToString().ToLowerInvariant(),
            Mean = scores.Count > 0 ? scores.Average() : null,
            Items = verdicts.Count,
            Scored = _o.Mode == JudgeMode.Pairwise ? wins.Values.Sum() : scores.Count,
            Unparsable = verdicts.Count(v => v.Unparsable),
            Failed = verdicts.Count(v => v.Error is not null),
            CacheHits = _cacheHits,
            PromptTokens = Interlocked.Read(ref _promptTokens),
            CompletionTokens = Interlocked.Read(ref _completionTokens),
            Histogram = hist,
            Wins = wins,
        };
    }

    private async Task ForEachAsync(int count, Func<int, Task> body, CancellationToken cancellationToken) =>
        await Parallel.ForEachAsync(Enumerable.Range(0, count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _o.MaxConcurrency), CancellationToken = cancellationToken },
            async (i, _) => await body(i).ConfigureAwait(false)).ConfigureAwait(false);

    private void ThrowIfUnreachable(int requests)
    {
        if (requests > 0 && _requests > 0 && _connectionFailures == _requests)
            throw new JudgeException($"the judge endpoint {_o.Endpoint} could not be reached ({_requests} request(s) failed to connect). " +
                "Check --judge-endpoint (an OpenAI-compatible base URL such as http://127.0.0.1:8000/v1) and that the server is running; " +
                (_cache is null ? "" : $"judgments already cached in {_cache.Folder} are kept and a rerun resumes from them."));
    }

    /// <summary>One chat completion through the cache, with retries and backoff on 429/5xx/timeouts/connection errors.</summary>
    private async Task<(string Text, string? Error, bool Cached)> AskAsync(string user, CancellationToken cancellationToken)
    {
        string system = _o.EffectiveSystemPrompt;
        string key = JudgeCache.Key(_o.Model, system, user, _o.Temperature, _o.MaxTokens);
        if (_cache is not null && _cache.TryGet(key, out var hit, out long pt, out long ct))
        {
            Interlocked.Increment(ref _cacheHits);
            Interlocked.Add(ref _promptTokens, pt);
            Interlocked.Add(ref _completionTokens, ct);
            return (hit, null, true);
        }
        Interlocked.Increment(ref _requests);
        List<ChatMessage> messages = [new SystemChatMessage(system), new UserChatMessage(user)];
        var options = new ChatCompletionOptions { Temperature = _o.Temperature, MaxOutputTokenCount = _o.MaxTokens };
        string? lastError = null;
        bool onlyConnectionErrors = true;
        for (int attempt = 0; attempt <= _o.MaxRetries; attempt++)
        {
            if (attempt > 0)
            {
                var delay = TimeSpan.FromTicks(_o.RetryBaseDelay.Ticks * (1L << Math.Min(attempt - 1, 10)));
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_o.Timeout);
            try
            {
                ChatCompletion completion = await _client.CompleteChatAsync(messages, options, timeout.Token).ConfigureAwait(false);
                string text = completion.Content.Count > 0 ? string.Concat(completion.Content.Select(p => p.Text)) : "";
                long inTok = completion.Usage?.InputTokenCount ?? 0, outTok = completion.Usage?.OutputTokenCount ?? 0;
                Interlocked.Add(ref _promptTokens, inTok);
                Interlocked.Add(ref _completionTokens, outTok);
                _cache?.Put(key, _o.Model, text, inTok, outTok);
                return (text, null, false);
            }
            catch (ClientResultException e) when (e.Status is 429 or >= 500)
            {
                onlyConnectionErrors = false;
                lastError = $"HTTP {e.Status}";
            }
            catch (ClientResultException e) when (e.Status == 0)
            {
                // No response at all: connection refused / DNS / reset.
                lastError = "connection failed: " + FirstLine(e.Message);
            }
            catch (ClientResultException e)
            {
                // 4xx other than 429 will not improve by retrying (bad model name, bad key, bad request).
                _log?.Invoke($"judge request rejected: HTTP {e.Status} {FirstLine(e.Message)}");
                return ("", $"HTTP {e.Status}: {FirstLine(e.Message)}", false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                onlyConnectionErrors = false;
                lastError = $"timed out after {_o.Timeout.TotalSeconds:0.#} s";
            }
            catch (HttpRequestException e)
            {
                lastError = "connection failed: " + FirstLine(e.Message);
            }
            _log?.Invoke($"judge request attempt {attempt + 1}/{_o.MaxRetries + 1} failed: {lastError}");
        }
        if (onlyConnectionErrors) Interlocked.Increment(ref _connectionFailures);
        return ("", lastError, false);
    }

    private static string FirstLine(string s)
    {
        var line = s.ReplaceLineEndings("\n").Split('\n')[0].Trim();
        return line.Length > 200 ? line[..200] + "…" : line;
    }
}
