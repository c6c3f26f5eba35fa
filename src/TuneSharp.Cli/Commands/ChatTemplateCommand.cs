// `tunesharp chat-template`: renders a conversation with a tokenizer directory's chat template and prints the exact text (UTF-8, no trailing newline added).
using System.CommandLine;
using System.Text;
using TuneSharp.Tokenizers;

namespace TuneSharp.Cli.Commands;

[CliVerb(60)]
public static class ChatTemplateCommand
{
    public static Command Create()
    {
        var tokenizer = new Option<string>("--tokenizer")
        {
            Description = "Directory holding tokenizer_config.json with chat_template, or chat_template.jinja",
            Required = true,
        };
        var messages = new Option<string>("--messages")
        {
            Description = "JSON file: an array of {role, content} messages, or {\"messages\": [...], \"tools\": [...], ...}",
            Required = true,
        };
        var addGenerationPrompt = new Option<bool>("--add-generation-prompt") { Description = "Append the assistant prompt (add_generation_prompt=True)" };
        var templateName = new Option<string?>("--template-name") { Description = "Named template when chat_template is a list (default: \"default\")" };

        var command = new Command("chat-template", "Render a conversation with a Hugging Face chat template and print the text");
        command.Options.Add(tokenizer);
        command.Options.Add(messages);
        command.Options.Add(addGenerationPrompt);
        command.Options.Add(templateName);
        command.SetAction(parse => Run(parse.GetValue(tokenizer)!, parse.GetValue(messages)!, parse.GetValue(addGenerationPrompt), parse.GetValue(templateName)));
        return command;
    }

    private static int Run(string tokenizerDir, string messagesPath, bool addGenerationPrompt, string? templateName)
    {
        var template = ChatTemplate.FromDirectory(tokenizerDir, templateName);
        if (!File.Exists(messagesPath)) throw new UsageException($"--messages {messagesPath}: file not found");
        var (msgs, variables) = ChatTemplate.ParseConversationJson(File.ReadAllText(messagesPath), messagesPath);
        var text = template.Render(msgs, addGenerationPrompt, extraVariables: variables);
        using var stdout = Console.OpenStandardOutput();
        stdout.Write(new UTF8Encoding(false).GetBytes(text));
        return 0;
    }
}
