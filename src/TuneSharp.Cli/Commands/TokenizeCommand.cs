// `tunesharp tokenize`: encodes stdin lines to JSON id arrays (or decodes JSON id arrays to JSON strings) with a
// tokenizer folder, tokenizer.json or .gguf vocabulary.
using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using TuneSharp.Models.Loading;
using TuneSharp.Data;
using TuneSharp.Tokenizers;

namespace TuneSharp.Cli.Commands;

[CliVerb(50)]
public static class TokenizeCommand
{
    private static readonly JsonSerializerOptions JsonOut = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var tokenizer = new Option<string>("--tokenizer")
        {
            Description = "Tokenizer folder (tokenizer.json + tokenizer_config.json), a tokenizer.json file, or a .gguf file",
            Required = true,
        };
        var addSpecial = new Option<bool>("--add-special-tokens") { Description = "Add BOS/EOS/CLS/SEP as the post-processor says" };
        var decode = new Option<bool>("--decode") { Description = "Read JSON id arrays (one per line) and print JSON strings" };
        var skipSpecial = new Option<bool>("--skip-special-tokens") { Description = "With --decode: drop special tokens" };
        var command = new Command("tokenize", "Encode stdin lines to token ids (one JSON array per line), or decode with --decode. "
            + "A line that is a JSON string literal is unescaped first.");
        command.Options.Add(tokenizer);
        command.Options.Add(addSpecial);
        command.Options.Add(decode);
        command.Options.Add(skipSpecial);
        command.SetAction(parse => Run(parse.GetValue(tokenizer)!, parse.GetValue(addSpecial), parse.GetValue(decode), parse.GetValue(skipSpecial)));
        return command;
    }

    private static int Run(string path, bool addSpecial, bool decode, bool skipSpecial)
    {
        var tok = TokenizerFiles.FromFile(path);
        using var input = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false));
        using var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false, NewLine = "\n" };
        int lineNo = 0;
        string? line;
        while ((line = input.ReadLine()) != null)
        {
            lineNo++;
            try
            {
                if (decode)
                {
                    if (line.Trim().Length == 0) continue;
                    var ids = JsonSerializer.Deserialize<int[]>(line) ?? throw new JsonException("null is not an id array");
                    foreach (var id in ids)
                        if (id < 0 || id >= tok.VocabSize) throw new ArgumentException($"id {id} is outside the vocabulary (size {tok.VocabSize})");
                    output.WriteLine(JsonSerializer.Serialize(tok.Decode(ids, skipSpecial), JsonOut));
                }
                else
                {
                    var text = line.StartsWith('"') && line.TrimEnd().EndsWith('"') ? JsonSerializer.Deserialize<string>(line) ?? "" : line;
                    output.WriteLine("[" + string.Join(",", tok.Encode(text, addSpecial)) + "]");
                }
                output.Flush();
            }
            catch (Exception e) when (e is JsonException or ArgumentException)
            {
                // Lines before the bad one are already out; say which line stopped the run.
                output.Flush();
                throw new DataFormatException(e.Message, "stdin", lineNo, inner: e);
            }
        }
        output.Flush();
        return 0;
    }
}
