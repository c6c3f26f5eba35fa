// The runtime value kinds of the Jinja interpreter (mirrors the value classes of @huggingface/jinja).
namespace TuneSharp.Tokenizers.Jinja;

public enum JinjaValueKind
{
    Undefined,
    None,
    Boolean,
    Integer,
    Float,
    String,
    List,
    Tuple,
    Dict,
    KeywordArguments,
    Namespace,
    Function,
}
