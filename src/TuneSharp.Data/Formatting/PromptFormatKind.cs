// The ways a dataset row becomes training text (TRL SFTTrainer dataset types plus Alpaca and {field} templates).
namespace TuneSharp.Data.Formatting;

public enum PromptFormatKind
{
    /// <summary>instruction / input / output with the standard Alpaca prompt texts.</summary>
    Alpaca,

    /// <summary>messages (role/content) rendered by the model's chat template.</summary>
    Chat,

    /// <summary>prompt / completion columns (TRL prompt-completion type).</summary>
    Completion,

    /// <summary>a text column, trained on in full (continued pre-training).</summary>
    Text,

    /// <summary>prompt and response templates with {field} placeholders.</summary>
    Custom,
}
