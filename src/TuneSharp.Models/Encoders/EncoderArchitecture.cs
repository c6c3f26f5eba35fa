// The encoder families SentenceEncoder runs: HF BertModel, XLMRobertaModel (RoBERTa positions) and MPNetModel.
namespace TuneSharp.Models.Encoders;

public enum EncoderArchitecture
{
    /// <summary>model_type "bert": absolute positions 0..T-1, token type 0 embeddings added.</summary>
    Bert,

    /// <summary>model_type "xlm-roberta" / "roberta": positions from padding_idx + 1 over non-pad ids, token type 0.</summary>
    XlmRoberta,

    /// <summary>model_type "mpnet": RoBERTa positions (padding_idx 1), no token types, relative position bias in attention.</summary>
    MPNet,
}
