// Builds a PreferenceTrainer from a run config once the model (and adapter) are loaded: preference data (train and
// eval, test_size split), the chat template for conversational rows and, for full-fine-tuning DPO, the frozen reference.
using TuneSharp.Data;
using TuneSharp.Models;
using TuneSharp.Nn.Lora;
using TuneSharp.Tokenizers;
using TuneSharp.Training.Config;
using TuneSharp.Training.Formatting;
using TuneSharp.Training.Sft;

namespace TuneSharp.Training.Preference;

public static class PreferenceSetup
{
    /// <summary>True when training.method names a preference method (dpo, orpo, simpo).</summary>
    public static bool IsPreference(TrainingOptions o) => PreferenceSettings.FromOptions(o) != null;

    /// <summary>
    /// dataset.format tokenized → prompt_ids/chosen_ids/rejected_ids rows as given; any other format → text rows
    /// (plain strings or message lists, auto-detected per row). Full fine-tuning DPO loads <paramref name="modelPath"/>
    /// again as the frozen reference (weights memory-mapped, never trained).
    /// </summary>
    public static PreferenceTrainer Create(RunConfig config, CausalLM model, LoraModel? lora, string tokenizerDir, ModelLoadOptions? loadOptions = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(model);
        var d = config.Dataset;
        if (string.IsNullOrWhiteSpace(d.Path)) throw new TrainingSetupException("no data: pass --data FILE or set dataset.path");
        bool tokenized = d.Format.Trim().Equals("tokenized", StringComparison.OrdinalIgnoreCase);
        Tokenizer? tok = null;
        ChatTemplate? template = null;
        if (!tokenized)
        {
            tok = Tokenizer.FromPretrained(tokenizerDir);
            template = ChatTemplateSetting.Resolve(config.Tokenizer.ChatTemplate, config.SourcePath, tokenizerDir, tok);
        }
        var all = PreferenceData.Load(d.Path, tokenized, tok, template);
        if (d.MaxSamples > 0 && all.Count > d.MaxSamples) all = all.Take(d.MaxSamples).ToList();
        List<PreferencePair>? eval = null;
        if (d.EvalPath != null) eval = PreferenceData.Load(d.EvalPath, tokenized, tok, template);
        else if (d.TestSize > 0)
        {
            int n = d.TestSize >= 1 ? (int)d.TestSize : (int)Math.Round(all.Count * d.TestSize);
            if (n <= 0 || n >= all.Count) throw new TrainingSetupException($"dataset.test_size {d.TestSize} leaves {all.Count - n} training and {n} evaluation pairs");
            var order = SeededPermutation.Create(all.Count, config.Training.Seed);
            eval = order.Take(n).Select(i => all[i]).ToList();
            all = order.Skip(n).Select(i => all[i]).ToList();
        }
        CausalLM? reference = null;
        var settings = PreferenceSettings.FromOptions(config.Training)!;
        if (lora == null && settings.NeedsReference)
            reference = CausalLM.FromPretrained(config.Model.NameOrPath!, loadOptions);
        try
        {
            return new PreferenceTrainer(model, tokenizerDir, config.Training, all, eval, lora, reference) { OwnsReference = reference != null };
        }
        catch
        {
            reference?.Dispose();
            throw;
        }
    }
}
