// The standard Alpaca prompt texts (tatsu-lab/stanford_alpaca train.py PROMPT_DICT), written as {field} templates.
namespace TuneSharp.Data.Formatting;

public static class AlpacaPrompts
{
    public const string WithInput =
        "Below is an instruction that describes a task, paired with an input that provides further context. " +
        "Write a response that appropriately completes the request.\n\n### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n";

    public const string NoInput =
        "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n" +
        "### Instruction:\n{instruction}\n\n### Response:\n";

    public const string Response = "{output}";
}
