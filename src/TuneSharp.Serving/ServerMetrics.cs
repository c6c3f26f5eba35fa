// Server counters, gauges and histograms in the Prometheus text exposition format (version 0.0.4).
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using TuneSharp.Inference.Scheduling;

namespace TuneSharp.Serving;

/// <summary>
/// Requests by endpoint and status, prompt/generated tokens, queue depth, running sequences, free KV rows,
/// cancellations, time to first token and request latency histograms (seconds). Names follow vLLM's where they exist
/// with a tunesharp_ prefix.
/// </summary>
public sealed class ServerMetrics
{
    private static readonly double[] Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

    private readonly ConcurrentDictionary<(string Endpoint, int Status), long> _requests = new();
    private readonly Histogram _ttft = new(Buckets), _latency = new(Buckets);

    public void CountRequest(string endpoint, int status) => _requests.AddOrUpdate((endpoint, status), 1, (_, n) => n + 1);

    public void ObserveTimeToFirstToken(TimeSpan t) => _ttft.Observe(t.TotalSeconds);

    public void ObserveLatency(TimeSpan t) => _latency.Observe(t.TotalSeconds);

    /// <summary>Requests answered so far with the given status (any endpoint).</summary>
    public long Requests(int status) => _requests.Where(kv => kv.Key.Status == status).Sum(kv => kv.Value);

    public string Render(BatchScheduler s)
    {
        var sb = new StringBuilder();
        sb.Append("# HELP tunesharp_requests_total HTTP requests answered, by endpoint and status.\n# TYPE tunesharp_requests_total counter\n");
        foreach (var ((ep, st), n) in _requests.OrderBy(k => k.Key.Endpoint).ThenBy(k => k.Key.Status))
            sb.Append(CultureInfo.InvariantCulture, $"tunesharp_requests_total{{endpoint=\"{ep}\",status=\"{st}\"}} {n}\n");
        Counter(sb, "tunesharp_prompt_tokens_total", "Prompt tokens prefilled.", s.PromptTokens);
        Counter(sb, "tunesharp_generation_tokens_total", "Tokens generated.", s.GeneratedTokens);
        Counter(sb, "tunesharp_sequences_completed_total", "Sequences that finished (stop or length).", s.CompletedSequences);
        Counter(sb, "tunesharp_sequences_cancelled_total", "Sequences cancelled (client disconnected or timed out).", s.CancelledSequences);
        Counter(sb, "tunesharp_decode_steps_total", "Batched decode steps run.", s.DecodeSteps);
        Counter(sb, "tunesharp_decode_tokens_total", "Tokens produced by batched decode steps.", s.DecodeTokens);
        sb.Append(CultureInfo.InvariantCulture, $"# HELP tunesharp_decode_seconds_total Time spent in decode steps.\n# TYPE tunesharp_decode_seconds_total counter\ntunesharp_decode_seconds_total {s.DecodeTime.TotalSeconds}\n");
        Gauge(sb, "tunesharp_queue_depth", "Requests waiting for a KV row.", s.QueueDepth);
        Gauge(sb, "tunesharp_running_sequences", "Sequences holding a KV row.", s.ActiveSequences);
        Gauge(sb, "tunesharp_free_slots", "KV rows free for new sequences.", s.FreeSlots);
        Gauge(sb, "tunesharp_max_batch", "KV rows in all.", s.Options.MaxBatch);
        _ttft.Render(sb, "tunesharp_time_to_first_token_seconds", "Time from request to its first generated token.");
        _latency.Render(sb, "tunesharp_request_latency_seconds", "Time from request to its last generated token.");
        return sb.ToString();
    }

    private static void Counter(StringBuilder sb, string name, string help, long v) =>
        sb.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}\n");

    private static void Gauge(StringBuilder sb, string name, string help, long v) =>
        sb.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}\n");

    /// <summary>A cumulative Prometheus histogram.</summary>
    private sealed class Histogram(double[] bounds)
    {
        private readonly long[] _counts = new long[bounds.Length + 1];
        private readonly object _lock = new();
        private double _sum;
        private long _n;

        public void Observe(double v)
        {
            int i = 0;
            while (i < bounds.Length && v > bounds[i]) i++;
            lock (_lock)
            {
                _counts[i]++;
                _sum += v;
                _n++;
            }
        }

        public void Render(StringBuilder sb, string name, string help)
        {
            sb.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} histogram\n");
            lock (_lock)
            {
                long cum = 0;
                for (int i = 0; i < bounds.Length; i++)
                {
                    cum += _counts[i];
                    sb.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{le=\"{bounds[i]}\"}} {cum}\n");
                }
                sb.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{le=\"+Inf\"}} {_n}\n{name}_sum {_sum}\n{name}_count {_n}\n");
            }
        }
    }
}
