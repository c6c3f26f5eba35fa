// Result of ChatTemplate.RenderWithAssistantSpans: the text and where the assistant turns (content + end-of-turn marker) lie in it.
namespace TuneSharp.Tokenizers;

public sealed record ChatTemplateRendering(string Text, IReadOnlyList<ChatTemplateSpan> AssistantSpans, bool FromGenerationBlocks);
