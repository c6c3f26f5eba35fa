// Tree-walking evaluator with @huggingface/jinja's semantics (scoping, JS-flavoured operators, loop variables, macros with dynamic caller scope),
// writing into one output buffer so `{% generation %}` spans can be recorded as character offsets of the final text.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;

namespace TuneSharp.Tokenizers.Jinja;

internal sealed class JinjaInterpreter(TemplateSource source, JinjaLimits limits)
{
    private const int MaxCallDepth = 200;

    private enum Flow { Normal, Break, Continue }

    private readonly StringBuilder _root = new();
    private StringBuilder _out = null!;
    private readonly List<(int Start, int End)> _spans = [];
    private int? _openGeneration;
    private int _callDepth;
    // Sandbox budget of this render (JinjaLimits): evaluation steps and wall-clock time.
    private long _steps;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public IReadOnlyList<(int Start, int End)> GenerationSpans => _spans;

    public string Run(List<JinjaNode> program, JinjaScope scope)
    {
        _out = _root;
        Flow flow;
        try { flow = ExecBlock(program, scope); }
        catch (InsufficientExecutionStackException ex)
        {
            // Recursion (macros calling macros, self-containing lists) reached the thread's stack: refuse rather than crash the process.
            throw source.Error("the template recursed too deeply for the stack (recursive macros or self-containing values); the sandbox stopped it", 0, ex);
        }
        if (flow != Flow.Normal) throw source.Error($"'{(flow == Flow.Break ? "break" : "continue")}' outside of a loop", 0);
        if (_openGeneration is int start) _spans.Add((start, _root.Length));
        return _root.ToString();
    }

    // ---- error plumbing ----
    private Exception Wrap(Exception ex, int pos)
    {
        if (ex is JinjaRaise raise)
        {
            var (line, col, _) = source.Locate(pos);
            return new ChatTemplateException(raise.Message, line, col);
        }
        return source.Error(ex is JinjaError ? ex.Message : $"{ex.GetType().Name}: {ex.Message}", pos, ex);
    }

    private static bool ShouldWrap(Exception ex) => ex is not (TemplateException or ChatTemplateException or InsufficientExecutionStackException);

    // ---- statements ----
    private Flow ExecBlock(List<JinjaNode> body, JinjaScope scope)
    {
        foreach (var node in body)
        {
            var flow = Exec(node, scope);
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    /// <summary>Charges one step of the render budget; checks the clock every 4,096 steps and the stack every step.</summary>
    private void Tick()
    {
        if (++_steps > limits.MaxSteps)
            throw new JinjaError($"the render took more than {limits.MaxSteps:N0} evaluation steps; the template sandbox stopped it (a loop that never ends, or nested loops too large)");
        if ((_steps & 4095) == 0 && _clock.Elapsed > limits.MaxRenderTime)
            throw new JinjaError($"the render ran longer than {limits.MaxRenderTime.TotalSeconds:0.#} s; the template sandbox stopped it");
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack()) throw new InsufficientExecutionStackException();
    }

    private void Append(string text)
    {
        if ((long)_out.Length + text.Length > limits.MaxOutputChars)
            throw new JinjaError($"the rendered text would exceed {limits.MaxOutputChars:N0} characters; the template sandbox stopped it");
        _out.Append(text);
    }

    private Flow Exec(JinjaNode node, JinjaScope scope)
    {
        try
        {
            Tick();
            switch (node)
            {
                case TextNode t: Append(t.Text); return Flow.Normal;
                case OutputNode o: Write(Eval(o.Expression, scope)); return Flow.Normal;
                case CommentNode: return Flow.Normal;
                case IfNode i: return ExecBlock(Eval(i.Test, scope).IsTruthy ? i.Body : i.Alternate, scope);
                case ForNode f: ExecFor(f, scope); return Flow.Normal;
                case SetNode s: ExecSet(s, scope); return Flow.Normal;
                case MacroNode m: scope.Set(m.Name, MakeMacro(m)); return Flow.Normal;
                case CallBlockNode c: Write(ExecCallBlock(c, scope)); return Flow.Normal;
                case FilterBlockNode fb:
                    {
                        var rendered = JinjaValue.FromString(Capture(() => ExecBlock(fb.Body, scope)));
                        var filter = (FilterExpr)fb.Filter;
                        Write(JinjaFilters.Apply(this, rendered, filter.Name, filter.Arguments, scope));
                        return Flow.Normal;
                    }
                case BreakNode: return Flow.Break;
                case ContinueNode: return Flow.Continue;
                case GenerationNode g: MarkGeneration(g.IsStart); return Flow.Normal;
                default: Write(Eval(node, scope)); return Flow.Normal;
            }
        }
        catch (Exception ex) when (ShouldWrap(ex))
        {
            throw Wrap(ex, node.Pos);
        }
    }

    private void Write(JinjaValue v)
    {
        if (v.Kind is JinjaValueKind.None or JinjaValueKind.Undefined) return;
        Append(v.ToOutputString());
    }

    private void MarkGeneration(bool isStart)
    {
        if (!ReferenceEquals(_out, _root)) return; // text captured by macros/set blocks/filters has no final position
        if (isStart) _openGeneration ??= _root.Length;
        else if (_openGeneration is int start)
        {
            if (_root.Length > start) _spans.Add((start, _root.Length));
            _openGeneration = null;
        }
    }

    /// <summary>Renders into a private buffer (macro bodies, block sets, filter blocks) and returns the text.</summary>
    private string Capture(Func<Flow> render)
    {
        var saved = _out;
        _out = new StringBuilder();
        try
        {
            render();
            return _out.ToString();
        }
        finally
        {
            _out = saved;
        }
    }

    /// <summary>The reference discards the output of an iteration left by break/continue; so do we (and any generation span begun in it).</summary>
    private void Truncate(int length)
    {
        _out.Length = length;
        if (!ReferenceEquals(_out, _root)) return;
        _spans.RemoveAll(s => s.End > length);
        if (_openGeneration > length) _openGeneration = null;
    }

    private void ExecFor(ForNode node, JinjaScope scope)
    {
        var loopScope = new JinjaScope(scope);
        var iterable = Eval(node.Iterable, loopScope);
        List<JinjaValue> source;
        if (iterable.IsList) source = iterable.AsList;
        else if (iterable.IsDict) source = iterable.AsDict.Keys.Select(JinjaValue.FromString).ToList();
        else throw new JinjaError($"Expected iterable or object type in for loop: got {iterable.TypeName}");

        var items = new List<JinjaValue>();
        foreach (var current in source)
        {
            Tick();
            if (node.Condition != null)
            {
                var testScope = new JinjaScope(loopScope);
                Bind(node.Target, current, testScope);
                if (!Eval(node.Condition, testScope).IsTruthy) continue;
            }
            items.Add(current);
        }

        bool noIteration = true;
        for (int i = 0; i < items.Count; i++)
        {
            Tick(); // an empty body still costs a step: nested empty loops must not run unbounded
            var loop = new OrderedDictionary<string, JinjaValue>(StringComparer.Ordinal)
            {
                ["index"] = JinjaValue.FromInteger(i + 1),
                ["index0"] = JinjaValue.FromInteger(i),
                ["revindex"] = JinjaValue.FromInteger(items.Count - i),
                ["revindex0"] = JinjaValue.FromInteger(items.Count - i - 1),
                ["first"] = JinjaValue.FromBool(i == 0),
                ["last"] = JinjaValue.FromBool(i == items.Count - 1),
                ["length"] = JinjaValue.FromInteger(items.Count),
                ["previtem"] = i > 0 ? items[i - 1] : JinjaValue.Undefined,
                ["nextitem"] = i < items.Count - 1 ? items[i + 1] : JinjaValue.Undefined,
            };
            loopScope.Set("loop", JinjaValue.FromDict(loop));
            Bind(node.Target, items[i], loopScope);
            int mark = _out.Length;
            var flow = ExecBlock(node.Body, loopScope);
            if (flow == Flow.Continue) { Truncate(mark); continue; }
            if (flow == Flow.Break) { Truncate(mark); break; }
            noIteration = false;
        }
        if (noIteration) ExecBlock(node.ElseBody, loopScope);
    }

    private static void Bind(JinjaNode target, JinjaValue value, JinjaScope scope)
    {
        if (target is IdentifierExpr id) { scope.Set(id.Name, value); return; }
        var tuple = (ListExpr)target;
        if (!value.IsList) throw new JinjaError($"Cannot unpack non-iterable type: {value.TypeName}");
        var parts = value.AsList;
        if (parts.Count != tuple.Items.Count)
            throw new JinjaError($"Too {(tuple.Items.Count > parts.Count ? "few" : "many")} items to unpack");
        for (int j = 0; j < parts.Count; j++)
        {
            if (tuple.Items[j] is not IdentifierExpr name) throw new JinjaError("Cannot unpack non-identifier type");
            scope.Set(name.Name, parts[j]);
        }
    }

    private void ExecSet(SetNode node, JinjaScope scope)
    {
        var rhs = node.Value != null ? Eval(node.Value, scope) : JinjaValue.FromString(Capture(() => ExecBlock(node.Body, scope)));
        switch (node.Target)
        {
            case IdentifierExpr id:
                scope.Set(id.Name, rhs);
                break;
            case ListExpr { IsTuple: true } tuple:
                {
                    if (!rhs.IsList) throw new JinjaError($"Cannot unpack non-iterable type in set: {rhs.TypeName}");
                    var arr = rhs.AsList;
                    if (arr.Count != tuple.Items.Count)
                        throw new JinjaError($"Too {(tuple.Items.Count > arr.Count ? "few" : "many")} items to unpack in set");
                    for (int i = 0; i < arr.Count; i++)
                    {
                        if (tuple.Items[i] is not IdentifierExpr name) throw new JinjaError("Cannot unpack to non-identifier in set");
                        scope.Set(name.Name, arr[i]);
                    }
                    break;
                }
            case MemberExpr member:
                {
                    var obj = Eval(member.Object, scope);
                    if (obj.Kind != JinjaValueKind.Namespace) throw new JinjaError("cannot assign attribute on non-namespace object");
                    if (member.Property is not IdentifierExpr prop || member.Computed) throw new JinjaError("Cannot assign to member with non-identifier property");
                    obj.AsDict[prop.Name] = rhs;
                    break;
                }
            default:
                throw new JinjaError("Invalid left-hand side of set");
        }
    }

    private JinjaValue MakeMacro(MacroNode node)
    {
        var specials = SpecialArguments(node.Parameters, node.Body);
        return JinjaValue.FromFunction((args, callerScope) =>
        {
            var macroScope = new JinjaScope(callerScope);
            BindMacroArguments($"'{node.Name}'", node.Parameters, specials, args, macroScope);
            return JinjaValue.FromString(RenderBody(node.Body, macroScope));
        });
    }

    private string RenderBody(List<JinjaNode> body, JinjaScope scope)
    {
        if (++_callDepth > MaxCallDepth) throw new JinjaError($"Macro recursion deeper than {MaxCallDepth}");
        try
        {
            return Capture(() => ExecBlock(body, scope));
        }
        finally
        {
            _callDepth--;
        }
    }

    private JinjaValue ExecCallBlock(CallBlockNode node, JinjaScope scope)
    {
        var specials = SpecialArguments(node.CallerParameters, node.Body);
        var caller = JinjaValue.FromFunction((callerArgs, _) =>
        {
            var callScope = new JinjaScope(scope);
            BindMacroArguments("None", node.CallerParameters, specials, callerArgs, callScope);
            return JinjaValue.FromString(RenderBody(node.Body, callScope));
        });
        var (args, kwargs) = EvalArguments(node.Call.Arguments, scope);
        args.Add(JinjaValue.FromKeywordArguments(kwargs));
        var fn = Eval(node.Call.Callee, scope);
        if (fn.Kind != JinjaValueKind.Function) throw new JinjaError($"Cannot call something that is not a function: got {fn.TypeName}");
        var env = new JinjaScope(scope);
        env.Set("caller", caller);
        return fn.AsCallable(args, env);
    }

    private void BindMacroArguments(string displayName, List<JinjaNode> parameters, (bool Kwargs, bool Varargs) specials, List<JinjaValue> args, JinjaScope scope)
    {
        var positional = new List<JinjaValue>(args);
        var keywords = new OrderedDictionary<string, JinjaValue>(StringComparer.Ordinal);
        if (positional.Count > 0 && positional[^1].Kind == JinjaValueKind.KeywordArguments)
        {
            foreach (var kv in positional[^1].AsDict) keywords[kv.Key] = kv.Value;
            positional.RemoveAt(positional.Count - 1);
        }
        var pending = new List<(string Name, JinjaNode Default)>();
        for (int i = 0; i < parameters.Count; i++)
        {
            var (name, defaultNode) = parameters[i] switch
            {
                IdentifierExpr id => (id.Name, (JinjaNode?)null),
                KeywordArgExpr kw => (kw.Name, kw.Value),
                _ => throw new JinjaError("Invalid macro parameter"),
            };
            JinjaValue? value = i < positional.Count ? positional[i] : null;
            if (value == null && keywords.Remove(name, out var kwValue)) value = kwValue;
            if (value == null && defaultNode != null) pending.Add((name, defaultNode));
            scope.Set(name, value ?? JinjaValue.Undefined);
        }
        if (specials.Kwargs) scope.Set("kwargs", JinjaValue.FromDict(keywords));
        else if (keywords.Count > 0) throw new JinjaError($"macro {displayName} takes no keyword argument '{keywords.GetAt(0).Key}'");
        if (specials.Varargs) scope.Set("varargs", JinjaValue.FromList(positional.Skip(parameters.Count).ToList()));
        else if (positional.Count > parameters.Count) throw new JinjaError($"macro {displayName} takes not more than {parameters.Count} argument(s)");
        foreach (var (name, def) in pending) scope.Set(name, Eval(def, scope));
    }

    /// <summary>Whether a macro body reads `kwargs`/`varargs` without declaring them (then extra arguments are collected instead of rejected).</summary>
    private static (bool Kwargs, bool Varargs) SpecialArguments(List<JinjaNode> parameters, List<JinjaNode> body)
    {
        var declared = new HashSet<string>(parameters.Select(p => p is IdentifierExpr id ? id.Name : ((KeywordArgExpr)p).Name));
        bool kwargs = false, varargs = false;
        void Visit(object? n)
        {
            switch (n)
            {
                case null: return;
                case IdentifierExpr id:
                    if (id.Name == "kwargs" && !declared.Contains("kwargs")) kwargs = true;
                    if (id.Name == "varargs" && !declared.Contains("varargs")) varargs = true;
                    return;
                case JinjaNode node:
                    foreach (var p in node.GetType().GetProperties())
                        if (p.Name != "EqualityContract") Visit(p.GetValue(node));
                    return;
                case System.Collections.IEnumerable seq when n is not string:
                    foreach (var item in seq) Visit(item);
                    return;
                case System.Runtime.CompilerServices.ITuple tuple:
                    for (int i = 0; i < tuple.Length; i++) Visit(tuple[i]);
                    return;
            }
        }
        Visit(body);
        return (kwargs, varargs);
    }

    // ---- expressions ----
    internal JinjaValue Eval(JinjaNode node, JinjaScope scope)
    {
        try
        {
            Tick();
            return node switch
            {
                LiteralExpr l => l.Value,
                IdentifierExpr id => scope.Lookup(id.Name),
                ListExpr list => list.IsTuple
                    ? JinjaValue.FromTuple(list.Items.Select(x => Eval(x, scope)).ToList())
                    : JinjaValue.FromList(list.Items.Select(x => Eval(x, scope)).ToList()),
                DictExpr dict => EvalDict(dict, scope),
                MemberExpr m => EvalMember(m, scope),
                CallExpr c => EvalCall(c, scope),
                BinaryExpr b => EvalBinary(b, scope),
                UnaryExpr u => EvalUnary(u, scope),
                FilterExpr f => JinjaFilters.Apply(this, Eval(f.Operand, scope), f.Name, f.Arguments, scope),
                TestExpr t => EvalTest(t, scope),
                SelectExpr s => Eval(s.Test, scope).IsTruthy ? Eval(s.Value, scope) : JinjaValue.Undefined,
                TernaryExpr t => Eval(t.Condition, scope).IsTruthy ? Eval(t.IfTrue, scope) : Eval(t.IfFalse, scope),
                TextNode t => JinjaValue.FromString(t.Text),
                _ => throw new JinjaError($"Unknown node type: {node.GetType().Name}"),
            };
        }
        catch (Exception ex) when (ShouldWrap(ex))
        {
            throw Wrap(ex, node.Pos);
        }
    }

    private JinjaValue EvalDict(DictExpr dict, JinjaScope scope)
    {
        var map = new OrderedDictionary<string, JinjaValue>(StringComparer.Ordinal);
        foreach (var (k, v) in dict.Entries)
        {
            var key = Eval(k, scope);
            if (!key.IsString) throw new JinjaError($"Object keys must be strings: got {key.TypeName}");
            map[key.AsString] = Eval(v, scope);
        }
        return JinjaValue.FromDict(map);
    }

    internal (List<JinjaValue> Positional, OrderedDictionary<string, JinjaValue> Keywords) EvalArguments(List<JinjaNode>? nodes, JinjaScope scope)
    {
        var positional = new List<JinjaValue>();
        var keywords = new OrderedDictionary<string, JinjaValue>(StringComparer.Ordinal);
        if (nodes == null) return (positional, keywords);
        foreach (var a in nodes)
        {
            if (a is SpreadExpr { IsKeywords: false } spread)
            {
                var v = Eval(spread.Argument, scope);
                if (!v.IsList) throw new JinjaError($"Cannot unpack non-iterable type: {v.TypeName}");
                positional.AddRange(v.AsList);
            }
            else if (a is not (KeywordArgExpr or SpreadExpr)) positional.Add(Eval(a, scope));
        }
        foreach (var a in nodes)
        {
            if (a is KeywordArgExpr kw)
            {
                if (keywords.ContainsKey(kw.Name)) throw new JinjaError($"Got multiple values for keyword argument '{kw.Name}'");
                keywords[kw.Name] = Eval(kw.Value, scope);
            }
            else if (a is SpreadExpr { IsKeywords: true } spread)
            {
                var v = Eval(spread.Argument, scope);
                if (!v.IsDict) throw new JinjaError($"Argument after ** must be a mapping, not {v.TypeName}");
                foreach (var kv in v.AsDict)
                {
                    if (keywords.ContainsKey(kv.Key)) throw new JinjaError($"Got multiple values for keyword argument '{kv.Key}'");
                    keywords[kv.Key] = kv.Value;
                }
            }
        }
        return (positional, keywords);
    }

    private JinjaValue EvalCall(CallExpr node, JinjaScope scope)
    {
        var (args, kwargs) = EvalArguments(node.Arguments, scope);
        if (kwargs.Count > 0) args.Add(JinjaValue.FromKeywordArguments(kwargs));
        var fn = Eval(node.Callee, scope);
        if (fn.Kind != JinjaValueKind.Function) throw new JinjaError($"Cannot call something that is not a function: got {fn.TypeName}");
        return fn.AsCallable(args, scope);
    }

    private JinjaValue EvalMember(MemberExpr node, JinjaScope scope)
    {
        var obj = Eval(node.Object, scope);
        JinjaValue property;
        if (node.Computed)
        {
            if (node.Property is SliceExpr slice) return EvalSlice(obj, slice, scope);
            property = Eval(node.Property, scope);
        }
        else if (node.Property is LiteralExpr lit) property = lit.Value;
        else property = JinjaValue.FromString(((IdentifierExpr)node.Property).Name);
        return JinjaBuiltins.GetMember(obj, property);
    }

    private JinjaValue EvalSlice(JinjaValue obj, SliceExpr node, JinjaScope scope)
    {
        if (!(obj.IsList || obj.IsString)) throw new JinjaError("Slice object must be an array or string");
        double? Part(JinjaNode? n, string what)
        {
            if (n == null) return null;
            var v = Eval(n, scope);
            if (v.IsUndefined) return null;
            if (v.Kind != JinjaValueKind.Integer) throw new JinjaError($"Slice {what} must be numeric or undefined");
            return v.AsNumber;
        }
        var start = Part(node.Start, "start");
        var stop = Part(node.Stop, "stop");
        var step = Part(node.Step, "step");
        if (obj.IsList)
        {
            var list = obj.AsList;
            return JinjaValue.FromList(SliceIndices(list.Count, start, stop, step).Select(i => list[i]).ToList());
        }
        var chars = JsText.CodePoints(obj.AsString);
        var sb = new StringBuilder();
        foreach (int i in SliceIndices(chars.Count, start, stop, step)) sb.Append(chars[i]);
        return JinjaValue.FromString(sb.ToString());
    }

    /// <summary>The reference's slice(): Python-like clamping; a negative step walks down to index 0 unless a stop below -1 is given; step 0 yields nothing.</summary>
    internal static List<int> SliceIndices(int length, double? start, double? stop, double? step)
    {
        double st = step ?? 1;
        int direction = Math.Sign(st);
        double s, e;
        if (direction >= 0)
        {
            s = start ?? 0;
            s = s < 0 ? Math.Max(length + s, 0) : Math.Min(s, length);
            e = stop ?? length;
            e = e < 0 ? Math.Max(length + e, 0) : Math.Min(e, length);
        }
        else
        {
            s = start ?? length - 1;
            s = s < 0 ? Math.Max(length + s, -1) : Math.Min(s, length - 1);
            e = stop ?? -1;
            e = e < -1 ? Math.Max(length + e, -1) : Math.Min(e, length - 1);
        }
        var result = new List<int>();
        if (direction == 0) return result;
        for (double i = s; direction * i < direction * e; i += st) result.Add((int)i);
        return result;
    }

    private JinjaValue EvalUnary(UnaryExpr node, JinjaScope scope)
    {
        var arg = Eval(node.Argument, scope);
        if (node.Operator == "not") return JinjaValue.FromBool(!arg.IsTruthy);
        double sign = node.Operator == "-" ? -1 : 1;
        return arg.Kind switch
        {
            JinjaValueKind.Integer => JinjaValue.FromInteger(sign * arg.AsNumber),
            JinjaValueKind.Float => JinjaValue.FromFloat(sign * arg.AsNumber),
            JinjaValueKind.Boolean => JinjaValue.FromInteger(sign * (arg.AsBoolean ? 1 : 0)),
            _ => throw new JinjaError($"Unknown operator \"{node.Operator}\" for {arg.TypeName}"),
        };
    }

    private JinjaValue EvalTest(TestExpr node, JinjaScope scope)
    {
        var operand = Eval(node.Operand, scope);
        var (args, _) = EvalArguments(node.Arguments, scope);
        bool result = JinjaTests.Run(node.Name, operand, args);
        return JinjaValue.FromBool(node.Negate ? !result : result);
    }

    private JinjaValue EvalBinary(BinaryExpr node, JinjaScope scope)
    {
        var left = Eval(node.Left, scope);
        if (node.Operator == "and") return left.IsTruthy ? Eval(node.Right, scope) : left;
        if (node.Operator == "or") return left.IsTruthy ? left : Eval(node.Right, scope);
        var right = Eval(node.Right, scope);
        return JinjaOperators.Binary(node.Operator, left, right);
    }
}
