// One piece of a formatted example: text and whether its tokens are trained on (the response) or masked (the prompt).
namespace TuneSharp.Data.Formatting;

public readonly record struct PromptSegment(string Text, bool Trainable);
