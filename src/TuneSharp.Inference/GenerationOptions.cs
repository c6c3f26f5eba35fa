// Decoding options with transformers GenerationConfig semantics (max_new_tokens, temperature, top_k, top_p, min_p, repetition_penalty).
namespace TuneSharp.Inference;

/// <summary>
/// Defaults decode greedily (Temperature 0, like HF's do_sample=False) for up to 128 new tokens. With
/// Temperature &gt; 0 the logits are processed in HF order — repetition penalty, temperature, top-k, top-p, min-p —
/// and a token is drawn from the softmax with a per-row RNG seeded from <see cref="Seed"/> (row r uses Seed + r,
/// so a batch row samples exactly like a single generation with that seed).
/// </summary>
public sealed record GenerationOptions
{
    /// <summary>Maximum tokens generated per row (HF max_new_tokens).</summary>
    public int MaxNewTokens { get; init; } = 128;

    /// <summary>0 = greedy (argmax); otherwise logits are divided by it before sampling.</summary>
    public float Temperature { get; init; }

    /// <summary>Keep the k most likely tokens (0 = off).</summary>
    public int TopK { get; init; }

    /// <summary>Nucleus sampling: keep the smallest set whose probability mass reaches p (1 = off).</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Drop tokens whose probability is below min_p · the top probability (0 = off).</summary>
    public float MinP { get; init; }

    /// <summary>
    /// HF RepetitionPenaltyLogitsProcessor: for every token already in prompt + generated text, positive logits are
    /// divided by it and negative ones multiplied (1 = off). Applies to greedy decoding too.
    /// </summary>
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>OpenAI presence_penalty: subtracted once from the logit of every token generated so far (−2..2, 0 = off).</summary>
    public float PresencePenalty { get; init; }

    /// <summary>OpenAI frequency_penalty: subtracted from a token's logit once per time it was generated (−2..2, 0 = off).</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>Sampling seed; null draws a random one. Ignored for greedy decoding.</summary>
    public int? Seed { get; init; }

    /// <summary>Extra stop token ids, on top of the model config's eos ids and the tokenizer's eos token.</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    /// <summary>Stop as soon as the generated text contains one of these; the stop string is cut from the text.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Drop special tokens (other than the stop token, which is never shown) from the decoded text.</summary>
    public bool SkipSpecialTokens { get; init; }

    /// <summary>
    /// The LoRA adapter to generate with, by the name it was loaded under (<see cref="Generator.LoadAdapter"/>):
    /// "default" (the default) uses the adapter loaded without a name, null the base model alone. A batch may instead
    /// give one adapter per prompt (<see cref="Generator.GenerateBatch(IReadOnlyList{IReadOnlyList{int}}, GenerationOptions?, Action{int, string}?, IReadOnlyList{string?}?)"/>).
    /// </summary>
    public string? Adapter { get; init; } = Nn.AdapterSelection.DefaultName;

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad option.</summary>
    public void Validate()
    {
        if (MaxNewTokens < 0) throw new ConfigException($"max_new_tokens must be ≥ 0, got {MaxNewTokens}");
        if (!(Temperature >= 0) || float.IsInfinity(Temperature)) throw new ConfigException($"temperature must be a finite number ≥ 0, got {Temperature}");
        if (TopK < 0) throw new ConfigException($"top_k must be ≥ 0, got {TopK}");
        if (!(TopP > 0 && TopP <= 1)) throw new ConfigException($"top_p must be in (0, 1], got {TopP}");
        if (!(MinP >= 0 && MinP <= 1)) throw new ConfigException($"min_p must be in [0, 1], got {MinP}");
        if (!(RepetitionPenalty > 0) || float.IsInfinity(RepetitionPenalty)) throw new ConfigException($"repetition_penalty must be a finite number > 0, got {RepetitionPenalty}");
        if (!(PresencePenalty >= -2 && PresencePenalty <= 2)) throw new ConfigException($"presence_penalty must be in [-2, 2], got {PresencePenalty}");
        if (!(FrequencyPenalty >= -2 && FrequencyPenalty <= 2)) throw new ConfigException($"frequency_penalty must be in [-2, 2], got {FrequencyPenalty}");
        foreach (var s in StopStrings)
            if (string.IsNullOrEmpty(s)) throw new ConfigException("stop strings must not be empty");
    }
}
