"""User rules: conditions on an article's facts, actions to take when they match.

Pure: the store keeps each rule as ``rule_to_dict`` JSON in a ``rules`` table; the ingest
(and "apply rules to existing articles") builds a ``RuleSet`` once and calls ``apply``
per article. Every rule is validated by ``parse_rule``; a bad one raises ``RuleError``
with a message fit to show the user, never a crash while applying.

Matching:
- ``contains`` / ``not_contains``: whole words (or a phrase of whole words), Unicode
  aware (Cyrillic, Hebrew, Greek, ...); case-insensitive unless ``case_sensitive``.
  For scripts written without spaces (CJK, Thai, ...) a plain substring test is used.
- ``matches``: a Python regular expression, searched in the first ``REGEX_TEXT_LIMIT``
  characters of the field only, which bounds the cost of a pathological pattern.
  Patterns with nested unbounded quantifiers such as ``(a+)+`` (catastrophic
  backtracking) are refused at parse time.
- ``equals`` / ``in``: the whole field value (after trimming), e.g. source, language.
  For ``topic`` the article's set of topics is tested: any topic equal / in the list.

Human syntax (``parse_rule_text``), one rule per line::

    Crypto: title contains bitcoin, "ether price" ; language in en,de => tag crypto, flag
    any: source equals "Hacker News" ; text matches "(?i)\\bCVE-\\d+" => hide
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

FIELDS = ("title", "text", "any", "source", "folder", "language", "topic", "url", "author")
OPS = ("contains", "not_contains", "matches", "equals", "in")
ACTIONS = ("tag", "flag", "archive", "read", "hide")
MATCH_MODES = ("all", "any")
REGEX_TEXT_LIMIT = 20_000  # characters of a field a regular expression is run on
MAX_PATTERN = 1_000  # characters of one regular expression
MAX_KEYWORDS = 500  # keywords in one condition

_DENSE = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff]"
)
# A group with an unbounded quantifier inside, itself repeated without bound: (a+)+, (a*)*,
# (\w+\s?)+ ... These are the classic catastrophic-backtracking shapes.
_NESTED_QUANT = re.compile(r"\((?:[^()\\]|\\.)*(?:[+*]|\{\d+,\})(?:[^()\\]|\\.)*\)[+*{]")


class RuleError(ValueError):
    """A rule that cannot be used; the message says which rule and why."""


@dataclass(slots=True)
class Condition:
    """One test on one field of an article."""

    field: str
    op: str
    value: str | list[str]
    case_sensitive: bool = False


@dataclass(slots=True)
class Action:
    """What to do on a match; ``value`` is the tag name for ``tag``."""

    kind: str
    value: str | None = None


@dataclass(slots=True)
class Rule:
    """Conditions joined by ``match`` ("all" or "any"), and the actions to take."""

    id: int | None
    name: str
    conditions: list[Condition]
    match: str = "all"
    actions: list[Action] = field(default_factory=list)
    enabled: bool = True
    notify: bool = False


@dataclass(slots=True)
class ArticleFacts:
    """The fields of one article that rules can test."""

    title: str = ""
    text: str = ""
    source: str = ""
    source_id: int | None = None
    folder: str = ""
    language: str = ""
    topics: set[str] = field(default_factory=set)
    url: str = ""
    author: str = ""


@dataclass(slots=True)
class RuleOutcome:
    """The union of the actions of every matching rule."""

    tags: set[str] = field(default_factory=set)
    flag: bool = False
    archive: bool = False
    read: bool = False
    hide: bool = False
    notify: bool = False
    matched: list[int | None] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when at least one rule matched."""
        return bool(self.matched)


# --------------------------------------------------------------------------- parsing


def _err(rule_name: str, msg: str) -> RuleError:
    return RuleError(f"rule {rule_name!r}: {msg}")


def parse_rule(data: dict) -> Rule:
    """Validate a rule given as a dict (as stored); compile-check its regexes.

    Raises ``RuleError`` with a clear message on any problem.
    """
    if not isinstance(data, dict):
        raise RuleError(f"a rule must be a mapping, not {type(data).__name__}")
    name = str(data.get("name") or "").strip()
    if not name:
        raise RuleError("a rule needs a name")
    rid = data.get("id")
    if rid is not None and (not isinstance(rid, int) or isinstance(rid, bool)):
        raise _err(name, f"id must be an integer, not {rid!r}")
    match = str(data.get("match", "all")).lower()
    if match not in MATCH_MODES:
        raise _err(name, f"match must be 'all' or 'any', not {match!r}")
    raw_conds = data.get("conditions")
    if not isinstance(raw_conds, list) or not raw_conds:
        raise _err(name, "needs at least one condition")
    raw_actions = data.get("actions")
    if not isinstance(raw_actions, list) or not raw_actions:
        raise _err(name, "needs at least one action")
    conds = [_parse_condition(name, c) for c in raw_conds]
    actions = [_parse_action(name, a) for a in raw_actions]
    rule = Rule(
        id=rid,
        name=name,
        conditions=conds,
        match=match,
        actions=actions,
        enabled=bool(data.get("enabled", True)),
        notify=bool(data.get("notify", False)),
    )
    _compile_rule(rule)
    return rule


def _parse_condition(name: str, c: object) -> Condition:
    if not isinstance(c, dict):
        raise _err(name, f"a condition must be a mapping, not {c!r}")
    fld = str(c.get("field", "")).lower()
    op = str(c.get("op", "")).lower()
    if fld not in FIELDS:
        raise _err(name, f"unknown field {fld!r} (expected one of {', '.join(FIELDS)})")
    if op not in OPS:
        raise _err(name, f"unknown operator {op!r} (expected one of {', '.join(OPS)})")
    value = c.get("value")
    if isinstance(value, list | tuple):
        value = [str(v) for v in value]
        if not value or any(not v.strip() for v in value):
            raise _err(name, f"{fld} {op}: empty value in {value!r}")
        if len(value) > MAX_KEYWORDS:
            raise _err(name, f"{fld} {op}: more than {MAX_KEYWORDS} values")
    elif isinstance(value, str):
        if not value.strip():
            raise _err(name, f"{fld} {op}: empty value")
    else:
        raise _err(name, f"{fld} {op}: value must be text or a list of texts, not {value!r}")
    if op == "matches" and isinstance(value, list):
        raise _err(name, "matches takes one regular expression, not a list")
    return Condition(fld, op, value, bool(c.get("case_sensitive", False)))


def _parse_action(name: str, a: object) -> Action:
    if isinstance(a, str):
        a = {"kind": a}
    if not isinstance(a, dict):
        raise _err(name, f"an action must be a mapping, not {a!r}")
    kind = str(a.get("kind", "")).lower()
    if kind not in ACTIONS:
        raise _err(name, f"unknown action {kind!r} (expected one of {', '.join(ACTIONS)})")
    value = a.get("value")
    if kind == "tag":
        if not isinstance(value, str) or not value.strip():
            raise _err(name, "the tag action needs a tag name")
        return Action(kind, value.strip())
    return Action(kind, None)


def rule_to_dict(rule: Rule) -> dict:
    """The JSON-ready form stored in the database (``parse_rule`` reads it back)."""
    return {
        "id": rule.id,
        "name": rule.name,
        "match": rule.match,
        "enabled": rule.enabled,
        "notify": rule.notify,
        "conditions": [
            {
                "field": c.field,
                "op": c.op,
                "value": list(c.value) if isinstance(c.value, list) else c.value,
                "case_sensitive": c.case_sensitive,
            }
            for c in rule.conditions
        ],
        "actions": [
            {"kind": a.kind, "value": a.value} if a.value is not None else {"kind": a.kind}
            for a in rule.actions
        ],
    }


# --------------------------------------------------------------------------- compiling


def _fold(s: str, case_sensitive: bool) -> str:
    s = unicodedata.normalize("NFKC", s)
    return s if case_sensitive else s.casefold()


_WORD = re.compile(r"\w+")


class _Keywords:
    """Keywords split by how they are tested: word-set lookup, phrase regex, substring."""

    __slots__ = ("phrases", "substrings", "words")

    def __init__(self, keywords: list[str], case_sensitive: bool) -> None:
        words, phrases, subs = set(), [], []
        for kw in {_fold(k.strip(), case_sensitive) for k in keywords}:
            toks = _WORD.findall(kw)
            if _DENSE.search(kw):
                subs.append(kw)  # no spaces between words: substring
            elif len(toks) == 1 and toks[0] == kw:
                words.add(kw)  # the common case: one plain word
            else:  # phrase or word with symbols ("c++", "e-mail", "new york")
                body = r"\s*".join(
                    r"\s+".join(re.escape(x) for x in chunk.split()) for chunk in [kw]
                )
                lead = r"(?<!\w)" if kw[:1].isalnum() or kw[:1] == "_" else ""
                tail = r"(?!\w)" if kw[-1:].isalnum() or kw[-1:] == "_" else ""
                phrases.append((frozenset(toks), re.compile(lead + body + tail)))
        self.words = frozenset(words)
        self.phrases = phrases
        self.substrings = subs

    def search(self, text: str, words: frozenset[str]) -> bool:
        if not self.words.isdisjoint(words):
            return True
        if any(sub in text for sub in self.substrings):
            return True
        return any(toks <= words and rx.search(text) for toks, rx in self.phrases)


def _compile_regex(name: str, pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    if len(pattern) > MAX_PATTERN:
        raise _err(name, f"regular expression longer than {MAX_PATTERN} characters")
    try:
        rx = re.compile(pattern, 0 if case_sensitive else re.IGNORECASE)
    except re.error as exc:
        raise _err(name, f"bad regular expression {pattern!r}: {exc}") from None
    if _NESTED_QUANT.search(pattern):
        raise _err(
            name,
            f"regular expression {pattern!r} nests repeats like (a+)+, which can take "
            "forever on some texts; rewrite it without the outer repeat",
        )
    return rx


class _Compiled:
    """A condition ready to evaluate."""

    __slots__ = ("field", "fold_cs", "keywords", "kind", "negate", "rx", "values")

    def __init__(self, rule_name: str, c: Condition) -> None:
        self.field = c.field
        self.negate = c.op == "not_contains"
        self.rx: re.Pattern[str] | None = None
        self.values: frozenset[str] = frozenset()
        if c.op in ("contains", "not_contains"):
            words = c.value if isinstance(c.value, list) else [c.value]
            self.kind = "kw"
            self.keywords = _Keywords(words, c.case_sensitive)
            self.fold_cs = c.case_sensitive
        elif c.op == "matches":
            self.kind = "re"
            self.rx = _compile_regex(rule_name, str(c.value), c.case_sensitive)
            self.fold_cs = True  # the pattern's own flags decide; text only NFKC-normalised
        else:  # equals / in: the whole value, trimmed
            vals = c.value if isinstance(c.value, list) else [c.value]
            self.kind = "in"
            self.values = frozenset(_fold(v.strip(), c.case_sensitive) for v in vals)
            self.fold_cs = c.case_sensitive

    def test(self, facts: ArticleFacts, cache: dict) -> bool:
        if self.kind == "in":
            if self.field == "topic":
                return any(_fold(t, self.fold_cs) in self.values for t in facts.topics)
            value = _field_text(facts, self.field, cache, self.fold_cs, raw=True).strip()
            if self.field == "language":
                # "en" matches "en-US"; "en-us" only "en-us"
                return value in self.values or value.split("-")[0] in self.values
            return value in self.values
        text = _field_text(facts, self.field, cache, self.fold_cs)
        if self.kind == "re":
            return self.rx.search(text[:REGEX_TEXT_LIMIT]) is not None
        key = ("words", self.field, self.fold_cs)
        words = cache.get(key)
        if words is None:
            words = cache[key] = frozenset(_WORD.findall(text))
        return self.keywords.search(text, words) != self.negate


def _field_text(facts: ArticleFacts, fld: str, cache: dict, case_sensitive: bool, raw=False):
    key = (fld, case_sensitive, raw)
    hit = cache.get(key)
    if hit is not None:
        return hit
    if fld == "any":
        value = f"{facts.title}\n{facts.text}"
    elif fld == "topic":
        value = "\n".join(sorted(facts.topics))
    elif fld == "language":
        value = (facts.language or "").replace("_", "-")
    else:
        value = getattr(facts, fld) or ""
    value = _fold(value, case_sensitive)
    cache[key] = value
    return value


def _compile_rule(rule: Rule) -> list[_Compiled]:
    return [_Compiled(rule.name, c) for c in rule.conditions]


class RuleSet:
    """Enabled rules compiled once; ``apply`` evaluates them on one article."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self._rules = [(r, _compile_rule(r)) for r in rules if r.enabled]

    def __len__(self) -> int:
        return len(self._rules)

    def apply(self, facts: ArticleFacts) -> RuleOutcome:
        """Actions of every rule that matches ``facts`` (union; tags accumulate)."""
        out = RuleOutcome()
        cache: dict = {}
        for rule, conds in self._rules:
            if rule.match == "all":
                hit = all(c.test(facts, cache) for c in conds)
            else:
                hit = any(c.test(facts, cache) for c in conds)
            if not hit:
                continue
            out.matched.append(rule.id)
            out.notify = out.notify or rule.notify
            for a in rule.actions:
                if a.kind == "tag":
                    out.tags.add(a.value or "")
                else:
                    setattr(out, a.kind, True)
        return out


# --------------------------------------------------------------------------- text syntax

_SYNTAX = re.compile(r"^\s*(?P<name>[^:=]+?)\s*:\s*(?P<conds>.+?)\s*=>\s*(?P<acts>.+?)\s*$")


def parse_rule_text(line: str, rule_id: int | None = None) -> Rule:
    """Parse ``name: [any:] field op value[, value] ; ... => action[, action]``.

    Conditions are separated by ``;`` and joined with "all" unless the condition part
    starts with ``any:``. Values may be quoted; ``tag NAME`` adds a tag; other actions
    are bare words (flag, archive, read, hide, notify).
    """
    m = _SYNTAX.match(line)
    if not m:
        raise RuleError(f"cannot read rule {line!r}: expected 'name: conditions => actions'")
    name = m["name"].strip()
    conds_text = m["conds"].strip()
    match = "all"
    if conds_text.lower().startswith("any:"):
        match, conds_text = "any", conds_text[4:]
    elif conds_text.lower().startswith("all:"):
        conds_text = conds_text[4:]
    conditions = []
    for part in filter(None, (p.strip() for p in conds_text.split(";"))):
        try:
            words = shlex.split(part, posix=True)
        except ValueError as exc:
            raise _err(name, f"cannot read condition {part!r}: {exc}") from None
        if len(words) < 3:
            raise _err(name, f"condition {part!r} needs a field, an operator and a value")
        fld, op, rest = words[0], words[1], " ".join(words[2:])
        values = (
            [v.strip() for v in rest.split(",")]
            if op in ("in", "contains", "not_contains")
            else rest
        )
        if isinstance(values, list) and len(values) == 1 and op != "in":
            values = values[0]
        conditions.append({"field": fld, "op": op, "value": values})
    actions: list[dict] = []
    notify = False
    for part in filter(None, (p.strip() for p in m["acts"].split(","))):
        bits = part.split(None, 1)
        if bits[0].lower() == "notify":
            notify = True
        elif bits[0].lower() == "tag":
            actions.append({"kind": "tag", "value": bits[1].strip(" \"'") if len(bits) > 1 else ""})
        else:
            actions.append({"kind": bits[0]})
    return parse_rule(
        {
            "id": rule_id,
            "name": name,
            "match": match,
            "conditions": conditions,
            "actions": actions,
            "notify": notify,
        }
    )
