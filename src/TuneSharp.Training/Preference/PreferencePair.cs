// One preference row as token ids: a prompt and a chosen and a rejected answer (TRL's prompt_input_ids /
// chosen_input_ids / rejected_input_ids after tokenize_row).
namespace TuneSharp.Training.Preference;

/// <summary>Token ids of prompt, chosen and rejected answer; <see cref="Where"/> names the source row for messages.</summary>
public sealed record PreferencePair(int[] PromptIds, int[] ChosenIds, int[] RejectedIds, string Where = "");
