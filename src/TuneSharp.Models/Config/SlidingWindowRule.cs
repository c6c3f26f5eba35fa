// Which layers of an architecture use sliding-window attention when config.json enables a window.
namespace TuneSharp.Models.Config;

public enum SlidingWindowRule
{
    /// <summary>No sliding window (Llama, Gemma).</summary>
    None,

    /// <summary>Every layer slides; "sliding_window" defaults to 4096, explicit null disables (Mistral).</summary>
    AllLayers,

    /// <summary>Only with "use_sliding_window": layers ≥ "max_window_layers" (default 28) slide (Qwen2/Qwen3).</summary>
    FromMaxWindowLayers,

    /// <summary>Even layers slide, window default 4096 (Gemma-2: is_sliding = not bool(layer_idx % 2)).</summary>
    EvenLayers,
}
