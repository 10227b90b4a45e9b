"""Which resource types a guard rule file can read, from its own text: the basis of the type projection.

`readable_types(text)` returns the set of `Type` values the file's `Resources.*[ Type == ... ]` selections
name, or `Full(reason)` when the file might read any other resource, in which case it must see the whole
template. It fails closed: anything not on the short list below sends the file to the full template.

Accepted ways to reach Resources (everything else in the file is judged against them):
- `Resources.*[ Type == V ...]` or `Resources.*[ Type in L ...]`, optionally `or`-chained Type tests, where
  V is a string literal or a variable/parameter bound only to string literals, and L a list of those; the
  Type test must be a conjunct of its own (not `or`-joined to another property test);
- `Resources exists` / `Resources not exists` (the projection keeps the Resources key);
- the root document (`this` where it may be the root, `let X = this`, and rule parameters passed either)
  only as a call argument, a block (`%doc { ... }`, whose contents pass the same checks), a plain key
  (`%doc.Resources`, `%doc.AWSTemplateFormatVersion`) or a key held in a string variable that is not
  "Resources" (Control Tower's `%INPUT_DOCUMENT.%S3_BUCKET_TYPE` hook form);
- `this` compared with a literal or tested with a unary operator;
- a property named Resources inside an element (`EncryptionConfig[*] { Resources exists }`) is not the
  section and is not checked.

Refused (full template): `Resources.*` without a Type filter, `Resources[...]` / `Resources.X` lookups, a
regex or a `!=` on Type, a Type test `or`-joined with another property, a query starting with a wildcard
(`*`, `[*]`, `[keys ...]`), a wildcard or filter on the root, the string "Resources" anywhere (indirection),
and text the tokenizer cannot read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TOKEN = re.compile(
    r"""(?P<ws>\s+)|(?P<comment>\#[^\n]*)|(?P<msg><<.*?>>)
    |(?P<str>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')|(?P<re>/(?:\\.|[^/\\\n])*/)
    |(?P<var>%[A-Za-z_]\w*)|(?P<op>==|!=|<=|>=|\|\||&&)|(?P<num>\d+(?:\.\d+)?)
    |(?P<id>[A-Za-z_]\w*)|(?P<punct>.)""",
    re.DOTALL | re.VERBOSE,
)
UNARY = {"exists", "empty", "not", "!", "is_string", "is_list", "is_struct", "is_int", "is_bool", "is_float"}
UNARY |= {"is_null", "NOT", "EXISTS", "EMPTY"}
COMPARE = {"==", "!=", "<", ">", "<=", ">=", "in", "IN"}
OR = {"or", "OR", "||"}
LITERAL = {"str", "re", "num"}


@dataclass(frozen=True)
class Full:
    """The file must see the whole template; `reason` says what the classifier could not accept."""

    reason: str


@dataclass(frozen=True)
class Tok:
    kind: str
    text: str

    @property
    def value(self) -> str:
        return self.text[1:-1] if self.kind == "str" else self.text


class Unclassifiable(Exception):
    pass


def readable_types(text: str) -> frozenset[str] | Full:
    """The resource types the rule file can read, or Full(reason) if it may read any resource."""
    return classify_text(text)[0]


def classify_text(text: str) -> tuple[frozenset[str] | Full, int]:
    """readable_types(text) and regex_count(text), from one tokenization."""
    try:
        tokens = tokenize(text)
    except Unclassifiable as why:
        return Full(str(why)), 0
    regexes = sum(tok.kind == "re" for tok in tokens)
    try:
        return _Classifier(tokens).types(), regexes
    except Unclassifiable as why:
        return Full(str(why)), regexes


def regex_count(text: str) -> int:
    """How many regex literals the file holds (0 if it cannot be read)."""
    try:
        return sum(tok.kind == "re" for tok in tokenize(text))
    except Unclassifiable:
        return 0


def tokenize(text: str) -> list[Tok]:
    tokens = []
    for match in TOKEN.finditer(text):
        kind = match.lastgroup or "punct"
        if kind in ("ws", "comment", "msg"):
            continue
        if kind == "punct" and (match.group() in "\"'/" or text.startswith("<<", match.start())):
            raise Unclassifiable(f"cannot read the text at offset {match.start()}")
        tokens.append(Tok(kind, match.group()))
    return tokens


class _Classifier:
    def __init__(self, tokens: list[Tok]) -> None:
        self.toks = tokens
        self.strings: dict[str, set[str] | None] = {}  # variable/parameter -> its string values (None: other)
        self.lists: dict[str, set[str]] = {}
        self.roots: set[str] = set()  # variables/parameters that may hold the whole document
        self.found: set[str] = set()
        self.root_ctx: list[bool] = []  # per token: does `this` there mean the whole document?

    def types(self) -> frozenset[str]:
        if any(t.kind == "str" and t.value == "Resources" for t in self.toks):
            raise Unclassifiable('the string "Resources" (a key held in a variable)')
        for _ in range(3):  # a let may name a root variable defined further down
            self._bind_lets()
        for _ in range(2):  # contexts depend on root variables, which depend on contexts: twice settles it
            self.root_ctx = self._contexts()
            self._bind_parameters()
        for index, tok in enumerate(self.toks):
            if tok.kind == "id" and tok.text == "Resources" and self._is_section(index):
                self._check_resources(index)
            elif tok.text == "*" and self._prev(index) not in (".", "["):
                raise Unclassifiable("a query starting with a wildcard")
            elif tok.text == "[" and self._starts_root_filter(index):
                raise Unclassifiable("a query starting with [*] or [keys ...]")
            elif self._is_root(index):
                self._check_root_use(index)
        return frozenset(self.found)

    def _is_root(self, i: int, contexts: list[bool] | None = None) -> bool:
        tok = self.toks[i]
        return (tok.text == "this" and (contexts or self.root_ctx)[i]) or (
            tok.kind == "var" and tok.text[1:] in self.roots
        )

    def _contexts(self) -> list[bool]:
        """Blocks after `rule ...`/`when ...` keep their context, a block on the root is root, any other
        block or filter is an element's context."""
        stack, header, out = [True], False, []
        for i, tok in enumerate(self.toks):
            out.append(stack[-1])
            if tok.text in ("rule", "when"):
                header = True
            elif tok.text == "{":
                stack.append(stack[-1] if header else (i > 0 and self._is_root(i - 1, out)))
                header = False
            elif tok.text == "(":
                stack.append(stack[-1])
            elif tok.text == "[":
                stack.append(False)
            elif tok.text in ")]}" and len(stack) > 1:
                stack.pop()
        return out

    def _tok(self, index: int) -> Tok:
        return self.toks[index] if 0 <= index < len(self.toks) else Tok("end", "")

    def _prev(self, index: int) -> str:
        return self._tok(index - 1).text

    def _bind_lets(self) -> None:
        for i, tok in enumerate(self.toks):
            if tok.text != "let" or self._tok(i + 2).text != "=":
                continue
            name, value = self._tok(i + 1).text, self._tok(i + 3)
            if value.text == "this" or (value.kind == "var" and value.text[1:] in self.roots):
                self.roots.add(name)
            elif value.kind == "str" and self._tok(i + 4).text != ".":
                self._add_string(name, {value.value})
            elif value.text == "[" and (items := self._string_list(i + 3)) is not None:
                self.lists.setdefault(name, set()).update(items)
            else:
                self._add_string(name, None)

    def _add_string(self, name: str, values: set[str] | None) -> None:
        known = self.strings.get(name, set())
        self.strings[name] = None if values is None or known is None else known | values

    def _bind_parameters(self) -> None:
        """Parameters take the union of what every call passes; re-run so parameters passed on are bound."""
        params = self._parameterised_rules()
        for _ in range(4):
            for i, tok in enumerate(self.toks):
                if tok.text in params and self._tok(i + 1).text == "(" and self._prev(i) != "rule":
                    for name, arg in zip(params[tok.text], self._call_args(i + 1), strict=False):
                        self._bind_argument(name, arg)

    def _parameterised_rules(self) -> dict[str, list[str]]:
        params = {}
        for i, tok in enumerate(self.toks):
            if tok.text == "rule" and self._tok(i + 2).text == "(":
                names, j = [], i + 3
                while self._tok(j).text not in (")", ""):
                    if self._tok(j).kind == "id":
                        names.append(self._tok(j).text)
                    j += 1
                params[self._tok(i + 1).text] = names
        return params

    def _call_args(self, open_index: int) -> list[list[int]]:
        """The token indices of each argument of the call whose "(" is at open_index."""
        args: list[list[int]] = [[]]
        depth, j = 0, open_index + 1
        while (tok := self._tok(j)).kind != "end":
            if tok.text in "([{":
                depth += 1
            elif tok.text in ")]}":
                if depth == 0:
                    break
                depth -= 1
            if tok.text == "," and depth == 0:
                args.append([])
            else:
                args[-1].append(j)
            j += 1
        return args

    def _bind_argument(self, name: str, arg: list[int]) -> None:
        single = self.toks[arg[0]] if len(arg) == 1 else None
        if single and self._is_root(arg[0]):
            self.roots.add(name)
        elif single and single.kind == "str":
            self._add_string(name, {single.value})
        elif single and single.kind == "var" and self.strings.get(single.text[1:]) is not None:
            self._add_string(name, set(self.strings[single.text[1:]] or ()))
        else:
            self._add_string(name, None)

    def _string_list(self, open_index: int) -> set[str] | None:
        items, j = set(), open_index + 1
        while (tok := self._tok(j)).text != "]":
            if tok.kind == "str":
                items.add(tok.value)
            elif tok.text != ",":
                return None
            j += 1
        return items

    def _is_section(self, i: int) -> bool:
        """Resources the template section (at the root), not a property of that name deeper down."""
        if self._prev(i) == ".":  # after any variable (an alias of the root may be missed), or the root
            before = self._tok(i - 2)
            return before.kind == "var" or (before.text == "this" and self.root_ctx[i - 2])
        return self.root_ctx[i]

    def _check_resources(self, i: int) -> None:
        after = [self._tok(i + k).text for k in range(1, 4)]
        if after[0] == "exists" or (after[0] in ("not", "!") and after[1] == "exists"):
            return
        if after == [".", "*", "["]:
            self._type_filter(i + 4)
            return
        raise Unclassifiable(f"Resources followed by {' '.join(after)!r}, not a Type filter")

    def _type_filter(self, j: int) -> None:
        """`Type == V` / `Type in L`, `or`-chained only with more Type tests, as its own conjunct."""
        while True:
            if self._tok(j).text != "Type" or self._tok(j + 1).text not in ("==", "in", "IN"):
                raise Unclassifiable("a Resources filter that does not start with Type == / Type in")
            self.found |= self._type_values(self._tok(j + 1).text, j + 2)
            j = self._after_value(j + 2)
            if self._tok(j).text not in OR:
                return
            j += 1

    def _type_values(self, operator: str, j: int) -> set[str]:
        tok = self._tok(j)
        if operator == "==" and tok.kind == "str":
            return {tok.value}
        name = tok.text[1:] if tok.kind == "var" else ""
        if operator == "==" and self.strings.get(name):
            return set(self.strings[name] or ())
        if operator != "==" and tok.text == "[" and (items := self._string_list(j)) is not None:
            return items
        if operator != "==" and name in self.lists:
            return self.lists[name]
        raise Unclassifiable(f"Type compared with {tok.text!r}, not a string literal or string variable")

    def _after_value(self, j: int) -> int:
        if self._tok(j).text != "[":
            return j + 1
        while self._tok(j).text != "]":
            j += 1
        return j + 1

    def _starts_root_filter(self, i: int) -> bool:
        prev = self._tok(i - 1)
        opens_query = prev.kind not in ("id", "var") and prev.text not in ("]", ")", "*")
        return opens_query and self._tok(i + 1).text in ("*", "keys", "KEYS")

    def _check_root_use(self, i: int) -> None:
        nxt, after = self._tok(i + 1), self._tok(i + 2)
        if self._prev(i) == "=" and self._tok(i - 3).text == "let":
            return  # the binding itself
        if nxt.text in (")", ",", "{") or nxt.text in UNARY:
            return
        if nxt.text in COMPARE and after.kind in LITERAL:
            return
        if nxt.text == "." and after.kind == "id":
            return  # a plain key: Resources is checked where it stands
        if nxt.text == "." and after.kind == "var" and self._plain_key(after.text[1:]):
            return
        raise Unclassifiable(f"the root document used as {self._tok(i).text} {nxt.text} {after.text}")

    def _plain_key(self, name: str) -> bool:
        values = self.strings.get(name)
        return bool(values) and all("*" not in v and v != "Resources" for v in values or ())
