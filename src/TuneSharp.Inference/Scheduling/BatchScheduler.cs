// Continuous batching (as vLLM's / TGI's iteration-level scheduling): requests join a running batch after a solo
// prefill, every live sequence decodes in one shared step (each with its own LoRA adapter), finished rows are freed.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using TuneSharp.Models;
using TuneSharp.Nn;

namespace TuneSharp.Inference.Scheduling;

/// <summary>
/// One worker thread owns the model and a KV cache of <see cref="SchedulerOptions.MaxBatch"/> rows. Each iteration it
/// admits queued requests while rows are free — prefilling each alone in a one-row cache and copying its slots in
/// (<see cref="KvCache.CopyRowFrom"/>), so an admitted sequence computes exactly what it would alone — then runs one
/// decode step over the live rows (<see cref="KvCache.ActiveRows"/>; adapters per row), samples, streams, and frees
/// rows that finished or were cancelled by moving the last live row into the hole. <see cref="KvCache.Compact"/>
/// reclaims slots when the shared length reaches the capacity. Adapters load and unload on the worker, between steps.
/// </summary>
public sealed class BatchScheduler : IDisposable
{
    private readonly Generator _gen;
    private readonly CausalLM _model;
    private readonly KvCache _cache;
    private readonly ConcurrentQueue<Pending> _queue = new();
    private readonly ConcurrentQueue<Action> _control = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly List<Live> _rows = [];
    private readonly Thread _worker;
    private readonly float[] _logits;
    private volatile bool _stopping;
    private int _queued;
    private string[] _adapterNames;
    private long _promptTokens, _generatedTokens, _completed, _cancelled, _steps, _decodeTokens, _decodeTicks;

    public BatchScheduler(Generator generator, SchedulerOptions? options = null)
    {
        _gen = generator ?? throw new ArgumentNullException(nameof(generator));
        Options = options ?? new SchedulerOptions();
        Options.Validate();
        _model = generator.Model;
        MaxContext = Options.MaxContext ?? 2048;
        int capacity = Options.CacheCapacity ?? MaxContext + 256;
        _cache = _model.CreateCache(Options.MaxBatch, capacity);
        _logits = new float[Options.MaxBatch * _model.Config.VocabSize];
        _adapterNames = [.. generator.Adapters.Keys];
        _worker = new Thread(Loop) { IsBackground = true, Name = "tunesharp-scheduler" };
        _worker.Start();
    }

    public SchedulerOptions Options { get; }

    public Generator Generator => _gen;

    /// <summary>Prompt + generated tokens allowed per sequence.</summary>
    public int MaxContext { get; }

    /// <summary>Requests waiting for a row.</summary>
    public int QueueDepth => Volatile.Read(ref _queued);

    /// <summary>Sequences holding a KV row.</summary>
    public int ActiveSequences { get; private set; }

    /// <summary>KV rows free for new sequences.</summary>
    public int FreeSlots => Options.MaxBatch - ActiveSequences;

    public long PromptTokens => Interlocked.Read(ref _promptTokens);

    public long GeneratedTokens => Interlocked.Read(ref _generatedTokens);

    public long CompletedSequences => Interlocked.Read(ref _completed);

    public long CancelledSequences => Interlocked.Read(ref _cancelled);

    public long DecodeSteps => Interlocked.Read(ref _steps);

    /// <summary>Tokens produced by batched decode steps (first tokens come from prefill and are not counted).</summary>
    public long DecodeTokens => Interlocked.Read(ref _decodeTokens);

    /// <summary>Wall time spent in decode steps (forward + sampling), the denominator of decode tokens/s.</summary>
    public TimeSpan DecodeTime => TimeSpan.FromTicks(Interlocked.Read(ref _decodeTicks) * TimeSpan.TicksPerSecond / Stopwatch.Frequency);

    /// <summary>Names of the loaded adapters (a snapshot).</summary>
    public IReadOnlyList<string> AdapterNames => Volatile.Read(ref _adapterNames);

    /// <summary>
    /// Queues a sequence. Throws <see cref="InvalidRequestException"/> for a request this model cannot run and
    /// <see cref="QueueFullException"/> when the queue is full or the scheduler is stopping.
    /// </summary>
    public ScheduledSequence Submit(SequenceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Validate(request);
        if (_stopping) throw new QueueFullException("the server is shutting down", shuttingDown: true);
        if (Interlocked.Increment(ref _queued) > Options.QueueCapacity)
        {
            Interlocked.Decrement(ref _queued);
            throw new QueueFullException($"the request queue is full ({Options.QueueCapacity} waiting); retry shortly");
        }
        var p = new Pending(request);
        _queue.Enqueue(p);
        _wake.Release();
        return new ScheduledSequence(p.Channel.Reader, p.Done.Task);
    }

    private void Validate(SequenceRequest r)
    {
        try { r.Options.Validate(); }
        catch (ArgumentException e) { throw new InvalidRequestException(e.Message, null, e); }
        if (r.PromptIds.Count == 0) throw new InvalidRequestException("the prompt is empty", "prompt");
        int vocab = _model.Config.VocabSize;
        foreach (var id in r.PromptIds)
            if ((uint)id >= (uint)vocab) throw new InvalidRequestException($"prompt token id {id} is outside the vocabulary (0..{vocab - 1})", "prompt");
        if (r.PromptIds.Count >= MaxContext)
            throw new InvalidRequestException($"the prompt has {r.PromptIds.Count} tokens; this server's context is {MaxContext} tokens (prompt + completion)", "messages");
        if (r.PromptIds.Count + r.Options.MaxNewTokens > MaxContext)
            throw new InvalidRequestException($"max_tokens {r.Options.MaxNewTokens} + {r.PromptIds.Count} prompt tokens exceeds the context of {MaxContext} tokens; ask for at most {MaxContext - r.PromptIds.Count}", "max_tokens");
        if (r.TopLogprobs is < 0 or > 20) throw new InvalidRequestException($"top_logprobs must be in 0..20, got {r.TopLogprobs}", "top_logprobs");
        CheckAdapter(r.Options.Adapter);
    }

    private void CheckAdapter(string? name)
    {
        // "default" is always allowed, as in Generator: it is the adapter a model was trained or loaded with, or the base path when it has none.
        if (name is null or Nn.AdapterSelection.DefaultName) return;
        var names = AdapterNames;
        if (!names.Contains(name))
            throw new InvalidRequestException($"no adapter named '{name}' is loaded (loaded: {(names.Count == 0 ? "none" : string.Join(", ", names))})", "model");
    }

    /// <summary>Loads a PEFT adapter folder under <paramref name="name"/> between decode steps.</summary>
    public Task LoadAdapterAsync(string folder, string name) => OnWorker(() =>
    {
        if (_gen.Adapters.ContainsKey(name)) throw new InvalidRequestException($"an adapter named '{name}' is already loaded; unload it first", "name");
        _gen.LoadAdapter(folder, name);
        Volatile.Write(ref _adapterNames, [.. _gen.Adapters.Keys]);
    });

    /// <summary>Unloads an adapter; refused while a running or queued sequence uses it.</summary>
    public Task UnloadAdapterAsync(string name) => OnWorker(() =>
    {
        if (!_gen.Adapters.ContainsKey(name)) throw new KeyNotFoundException($"no adapter named '{name}' is loaded");
        int users = _rows.Count(r => r.Adapter == name) + _queue.Count(p => p.Request.Options.Adapter == name);
        if (users > 0) throw new InvalidOperationException($"adapter '{name}' is in use by {users} request(s); retry when they finish");
        _gen.UnloadAdapter(name);
        Volatile.Write(ref _adapterNames, [.. _gen.Adapters.Keys]);
    });

    private Task OnWorker(Action action)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _control.Enqueue(() =>
        {
            try { action(); tcs.SetResult(); }
            catch (Exception e) { tcs.SetException(e); }
        });
        _wake.Release();
        return tcs.Task;
    }

    /// <summary>Stops accepting work, lets running and queued sequences finish, then stops the worker.</summary>
    public Task StopAsync(TimeSpan? timeout = null)
    {
        _stopping = true;
        _wake.Release();
        return Task.Run(() => _worker.Join(timeout ?? Timeout.InfiniteTimeSpan));
    }

    public void Dispose()
    {
        _stopping = true;
        _wake.Release();
        _worker.Join();
        _cache.Dispose();
        _wake.Dispose();
    }

    // ------------------------------------------------------------------ worker

    private void Loop()
    {
        while (true)
        {
            while (_control.TryDequeue(out var action)) action();
            try
            {
                Admit();
                if (_rows.Count > 0) Step();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // An engine fault fails the running sequences and resets the cache; the server keeps serving.
                foreach (var r in _rows) r.Fail(e);
                _rows.Clear();
                _cache.Clear();
                ActiveSequences = 0;
            }
            if (_rows.Count == 0)
            {
                if (_stopping && _queue.IsEmpty && _control.IsEmpty) return;
                if (_queue.IsEmpty) _wake.Wait(200);
            }
        }
    }

    private void Admit()
    {
        int vocab = _model.Config.VocabSize;
        while (_rows.Count < Options.MaxBatch && _queue.TryDequeue(out var p))
        {
            Interlocked.Decrement(ref _queued);
            var req = p.Request;
            if (req.CancellationToken.IsCancellationRequested) { p.Cancel(); Interlocked.Increment(ref _cancelled); continue; }
            var live = new Live(p, _gen, req.IgnoreEos ? [.. req.Options.StopTokenIds] : _gen.StopIds(req.Options));
            try { CheckAdapter(req.Options.Adapter); }
            catch (InvalidRequestException e) { p.Fail(e); continue; }
            if (req.Options.MaxNewTokens == 0) { live.Finish(FinishReason.Length); live.Complete(); continue; }
            var prompt = req.PromptIds.ToArray();
            Interlocked.Add(ref _promptTokens, prompt.Length);
            try
            {
                using var solo = _model.CreateCache(1, prompt.Length);
                var first = _logits.AsSpan(0, vocab);
                _model.Forward(solo, prompt, default, first, adapters: AdapterSelection.Single(req.Options.Adapter));
                _cache.CopyRowFrom(solo, 0, _rows.Count);
                live.TimeToFirstToken = p.Clock.Elapsed;
                Sample(live, first);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // This request alone fails (its row is left free); the running batch is untouched.
                _cache.ResetRow(_rows.Count);
                p.Fail(e);
                continue;
            }
            if (live.IsFinished) { _cache.ResetRow(_rows.Count); live.Complete(); Interlocked.Increment(ref _completed); continue; }
            _rows.Add(live);
            ActiveSequences = _rows.Count;
        }
        if (_rows.Count == 0 && _cache.Length > 0) _cache.Clear();
    }

    private void Step()
    {
        int n = _rows.Count, vocab = _model.Config.VocabSize;
        // Cancelled rows leave before the step so their slots are not computed.
        for (int i = n - 1; i >= 0; i--)
            if (_rows[i].Request.CancellationToken.IsCancellationRequested)
            {
                _rows[i].Cancel();
                Interlocked.Increment(ref _cancelled);
                Remove(i);
            }
        n = _rows.Count;
        ActiveSequences = n;
        if (n == 0) { _cache.Clear(); return; }
        _cache.ActiveRows = n;
        if (_cache.Length + 1 > _cache.Capacity) _cache.Compact();
        var ids = new int[n];
        var names = new string?[n];
        for (int i = 0; i < n; i++) { ids[i] = _rows[i].LastId; names[i] = _rows[i].Adapter; }
        var sel = names.All(x => x == names[0]) ? AdapterSelection.Single(names[0]) : AdapterSelection.PerSequence(names);
        var logits = _logits.AsSpan(0, n * vocab);
        long t0 = Stopwatch.GetTimestamp();
        _model.Forward(_cache, ids, default, logits, adapters: sel);
        Interlocked.Increment(ref _steps);
        for (int i = 0; i < n; i++) Sample(_rows[i], logits.Slice(i * vocab, vocab));
        Interlocked.Add(ref _decodeTicks, Stopwatch.GetTimestamp() - t0);
        Interlocked.Add(ref _decodeTokens, n);
        for (int i = n - 1; i >= 0; i--)
            if (_rows[i].IsFinished)
            {
                _rows[i].Complete();
                Interlocked.Increment(ref _completed);
                Remove(i);
            }
        ActiveSequences = _rows.Count;
        if (_rows.Count == 0) _cache.Clear();
    }

    /// <summary>Frees row i: the last live row moves into its place so live rows stay leading.</summary>
    private void Remove(int i)
    {
        int last = _rows.Count - 1;
        if (i != last)
        {
            _cache.MoveRow(last, i);
            _rows[i] = _rows[last];
        }
        else _cache.ResetRow(i);
        _rows.RemoveAt(last);
        if (_rows.Count > 0) _cache.ActiveRows = _rows.Count;
    }

    private void Sample(Live r, Span<float> logits)
    {
        var o = r.Request.Options;
        if (r.Request.Constraint is { } c && c.Mask(logits) == 0)
        {
            // Nothing in the vocabulary can continue the JSON: end, reported as truncated ("length"), never as a valid stop.
            r.Finish(FinishReason.Length);
            r.Emit(-1, null, null);
            return;
        }
        LogitsSampler.ApplyPenalties(logits, r.Counts, o.PresencePenalty, o.FrequencyPenalty);
        float[]? before = r.Request.TopLogprobs is null ? null : logits.ToArray();
        int next = r.Row.Sampler.Next(logits, r.Row.Seen);
        r.Row.Generated.Add(next);
        r.Row.Seen.Add(next);
        r.Counts[next] = r.Counts.GetValueOrDefault(next) + 1;
        Interlocked.Increment(ref _generatedTokens);
        float? lp = null;
        TokenLogprob[]? top = null;
        if (before != null) (lp, top) = Logprobs(before, next, r.Request.TopLogprobs!.Value);
        if (r.StopIds.Contains(next)) r.Finish(FinishReason.Stop);
        else
        {
            r.Row.Append(r.Row.Decoder.Add(next), o, r.Collect);
            if (r.Request.Constraint is { } jc)
            {
                jc.Advance(next);
                if (r.Row.Finished == null && jc.IsComplete) r.Finish(FinishReason.Stop);
            }
            if (r.Row.Finished == null && r.Row.Generated.Count >= o.MaxNewTokens) r.Finish(FinishReason.Length);
        }
        r.Emit(next, lp, top);
    }

    private static (float, TokenLogprob[]) Logprobs(float[] logits, int chosen, int topN)
    {
        float max = float.NegativeInfinity;
        foreach (var x in logits) if (x > max) max = x;
        double sum = 0;
        foreach (var x in logits) if (!float.IsNegativeInfinity(x)) sum += Math.Exp(x - max);
        float lse = max + (float)Math.Log(sum);
        var top = new TokenLogprob[topN];
        if (topN > 0)
        {
            var idx = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ThenBy(i => i).Take(topN).ToArray();
            for (int j = 0; j < idx.Length; j++) top[j] = new TokenLogprob(idx[j], Finite(logits[idx[j]] - lse));
        }
        return (Finite(logits[chosen] - lse), top);
    }

    /// <summary>Masked tokens have logprob −∞, which JSON cannot carry; OpenAI-compatible servers report −9999.</summary>
    private static float Finite(float lp) => float.IsNegativeInfinity(lp) ? -9999f : lp;

    /// <summary>A queued request with its output channel and completion.</summary>
    private sealed class Pending(SequenceRequest request)
    {
        public SequenceRequest Request { get; } = request;
        public Channel<SequenceToken> Channel { get; } = System.Threading.Channels.Channel.CreateUnbounded<SequenceToken>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        public TaskCompletionSource<SequenceResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Stopwatch Clock { get; } = Stopwatch.StartNew();

        public void Cancel()
        {
            Channel.Writer.TryComplete();
            Done.TrySetResult(new SequenceResult([.. Request.PromptIds], [], "", null, TimeSpan.Zero, Clock.Elapsed));
        }

        public void Fail(Exception e)
        {
            Channel.Writer.TryComplete(e);
            Done.TrySetException(e);
        }
    }

    /// <summary>A sequence holding a KV row.</summary>
    private sealed class Live(Pending pending, Generator gen, HashSet<int> stopIds)
    {
        private readonly StringBuilder _step = new();

        public SequenceRequest Request => pending.Request;
        public DecodeRow Row { get; } = new([.. pending.Request.PromptIds], gen.Tokenizer.CreateStreamingDecoder(pending.Request.Options.SkipSpecialTokens), new LogitsSampler(pending.Request.Options, 0));
        public HashSet<int> StopIds { get; } = stopIds;
        public Dictionary<int, int> Counts { get; } = [];
        public string? Adapter => Request.Options.Adapter;
        public int LastId => Row.Generated[^1];
        public TimeSpan TimeToFirstToken { get; set; }
        public bool IsFinished => Row.Finished != null;

        public void Collect(string s) => _step.Append(s);

        public void Finish(FinishReason reason) => Row.Finish(reason, Request.Options, Collect);

        public void Emit(int id, float? lp, TokenLogprob[]? top)
        {
            if (id >= 0) pending.Channel.Writer.TryWrite(new SequenceToken(id, _step.ToString(), lp, top));
            _step.Clear();
        }

        public void Complete()
        {
            var res = Row.Result(Row.Finished ?? FinishReason.Length);
            pending.Channel.Writer.TryComplete();
            pending.Done.TrySetResult(new SequenceResult(res.PromptIds, res.GeneratedIds, res.Text, res.FinishReason, TimeToFirstToken, pending.Clock.Elapsed));
        }

        public void Cancel() => pending.Cancel();

        public void Fail(Exception e) => pending.Fail(e);
    }
}
