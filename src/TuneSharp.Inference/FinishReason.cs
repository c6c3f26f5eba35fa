// Why a generated sequence ended.
namespace TuneSharp.Inference;

public enum FinishReason
{
    /// <summary>A stop token (eos) was generated.</summary>
    Stop,

    /// <summary>The text came to contain a stop string.</summary>
    StopString,

    /// <summary>max_new_tokens was reached.</summary>
    Length,
}
