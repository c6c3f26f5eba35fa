// Sandbox guards shared by the operators, filters and JSON writer: the longest string a render may build, and the stack check for recursive values.
using System.Runtime.CompilerServices;

namespace TuneSharp.Tokenizers.Jinja;

internal static class JinjaSandbox
{
    /// <summary>Longest intermediate string or list (characters / items): the default output budget, so `s ~ s` doubling stops at 16 Mi, not at OOM.</summary>
    public static readonly int MaxChars = JinjaLimits.Default.MaxOutputChars;

    /// <summary>Throws the sandbox error when a string or list about to be built would be longer than <see cref="MaxChars"/>.</summary>
    public static void CheckLength(long length, string what = "a string")
    {
        if (length > MaxChars)
            throw new JinjaError($"{what} of {length:N0} characters/items would exceed the template sandbox's {MaxChars:N0}");
    }

    /// <summary>Stops recursion over values (a list that contains itself) before the thread's stack runs out.</summary>
    public static void CheckStack()
    {
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack()) throw new InsufficientExecutionStackException();
    }
}
