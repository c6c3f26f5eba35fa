// The documented process exit codes of the `tunesharp` CLI (README "Exit codes"); each error kind maps to one.
namespace TuneSharp;

/// <summary>Exit codes: 0 success, 1 runtime failure, 2 usage, then one per error kind.</summary>
public enum ExitCode
{
    /// <summary>The verb finished.</summary>
    Success = 0,

    /// <summary>An unexpected failure (a bug: please report it).</summary>
    InternalError = 1,

    /// <summary>Bad flags or arguments on the command line.</summary>
    Usage = 2,

    /// <summary>A run config (YAML / key=value) or model config.json is invalid.</summary>
    Config = 3,

    /// <summary>An input file (dataset, tokenizer, template, weights, GGUF, adapter) is malformed or missing.</summary>
    InputFormat = 4,

    /// <summary>Training stopped: divergence, NaN policy, or a failed setup.</summary>
    Training = 5,

    /// <summary>An external service (OpenAI-compatible endpoint) failed.</summary>
    External = 6,

    /// <summary>Writing output failed (disk full, permissions, output exists, lock held).</summary>
    Output = 7,

    /// <summary>Interrupted by the user (Ctrl-C); work written so far is kept.</summary>
    Interrupted = 130,
}
