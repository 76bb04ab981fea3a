"""Which jobs a GitLab pipeline holds: ``workflow:rules`` and job ``rules`` evaluated as GitLab does.

GitLab's semantics, from its documentation ("Specify when jobs run with rules", "CI/CD variable
expressions"), for what .gitlab-ci.yml uses:
- rules are tried in order; the first whose ``if`` and ``changes`` both hold decides; ``when: never``
  leaves the job (or the pipeline) out; no matching rule leaves it out; a job without rules runs;
- ``if``: ``$VAR`` (defined and not empty), ``==``/``!=`` against a string, ``null`` or a variable,
  ``=~``/``!~`` a /regex/ (found anywhere in the value), ``&&`` binding tighter than ``||``, brackets;
  an undefined variable is ``null``, an empty one is ``""``;
- ``changes`` holds when a changed file matches a glob (``**`` crosses folders); in a pipeline with
  no Git push behind it (Run pipeline, a schedule, a new branch) it always holds;
- ``rules:needs`` and ``rules:variables`` replace and extend the job's; a ``needs`` naming a job the
  pipeline does not hold is an error that creates no pipeline.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

GLOBAL_KEYS = {"stages", "variables", "workflow", "default", "include", "image", "services", "cache",
               "before_script", "after_script", "spec"}
TOKEN = re.compile(r"""\s*(?:(?P<var>\$\w+)|(?P<str>"[^"]*"|'[^']*')|(?P<regex>/(?:\\.|[^/\\])*/[a-z]*)
                       |(?P<op>==|!=|=~|!~|&&|\|\||\(|\))|(?P<null>null))""", re.VERBOSE)


class PipelineError(Exception):
    """GitLab would refuse to create this pipeline."""


@dataclass(frozen=True)
class Event:
    """What starts a pipeline: its source, branch, the variables given and the files changed."""

    source: str  # push, merge_request_event or web
    branch: str
    variables: Mapping[str, str] = field(default_factory=dict)
    changed: frozenset[str] | None = None  # None: no Git push behind it, ``changes`` always holds
    open_merge_request: bool = False
    tag: str = ""  # a tag pipeline: no branch

    def predefined(self) -> dict[str, str]:
        found = {"CI_PIPELINE_SOURCE": self.source, "CI_COMMIT_REF_NAME": self.tag or self.branch}
        if self.tag:
            found["CI_COMMIT_TAG"] = self.tag
        elif self.source == "merge_request_event":
            found["CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"] = self.branch
        else:
            found["CI_COMMIT_BRANCH"] = self.branch
            if self.open_merge_request:
                found["CI_OPEN_MERGE_REQUESTS"] = "group/platecut!1"
        return found


@dataclass(frozen=True)
class PlannedJob:
    name: str
    when: str
    needs: tuple[str, ...]
    variables: Mapping[str, str]
    body: Mapping[str, Any]


# -- expressions ------------------------------------------------------------------------------------


def _tokens(expression: str) -> Iterator[tuple[str, str]]:
    position = 0
    while position < len(expression.rstrip()):
        found = TOKEN.match(expression, position)
        if not found or found.end() == position:
            raise PipelineError(f"cannot read {expression[position:]!r} in {expression!r}")
        kind = found.lastgroup
        assert kind is not None
        yield kind, found.group(kind)
        position = found.end()


class _Parser:
    def __init__(self, expression: str, variables: Mapping[str, str]) -> None:
        self.tokens = list(_tokens(expression))
        self.variables = variables
        self.at = 0

    def parse(self) -> bool:
        value = self._or()
        if self.at != len(self.tokens):
            raise PipelineError(f"unexpected {self.tokens[self.at][1]!r}")
        return value

    def _peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def _or(self) -> bool:
        value = self._and()
        while self._peek() == "||":
            self._take()
            value = self._and() or value
        return value

    def _and(self) -> bool:
        value = self._term()
        while self._peek() == "&&":
            self._take()
            value = self._term() and value
        return value

    def _term(self) -> bool:
        if self._peek() == "(":
            self._take()
            value = self._or()
            if self._take()[1] != ")":
                raise PipelineError("unbalanced brackets")
            return value
        left = self._operand()
        if self._peek() in ("==", "!=", "=~", "!~"):
            operator = self._take()[1]
            kind, text = self._take()
            if operator in ("=~", "!~"):
                if kind != "regex":
                    raise PipelineError(f"{operator} needs a /regex/, not {text}")
                matched = left is not None and re.search(text[1:text.rindex("/")], left) is not None
                return matched if operator == "=~" else not matched
            right = self._value(kind, text)
            return (left == right) if operator == "==" else (left != right)
        return bool(left)

    def _operand(self) -> str | None:
        kind, text = self._take()
        return self._value(kind, text)

    def _value(self, kind: str, text: str) -> str | None:
        if kind == "var":
            return self.variables.get(text[1:])
        if kind == "str":
            return text[1:-1]
        if kind == "null":
            return None
        raise PipelineError(f"a value was expected, not {text!r}")


def holds(expression: str, variables: Mapping[str, str]) -> bool:
    """A ``rules:if`` expression's value."""
    return _Parser(expression, variables).parse()


# -- rules ------------------------------------------------------------------------------------------


def _glob(pattern: str) -> re.Pattern[str]:
    parts = [".*" if part == "**" else fnmatch.translate(part)[4:-3].replace(".*", "[^/]*")
             for part in pattern.split("/")]
    text = "/".join(parts).replace(".*/", "(?:.*/)?")
    return re.compile(f"(?s:{text})\\Z")


def _changes_hold(changes: Any, event: Event) -> bool:
    if event.changed is None:
        return True
    patterns = changes["paths"] if isinstance(changes, dict) else changes
    return any(_glob(pattern).match(path) for pattern in patterns for path in event.changed)


def first_rule(rules: list[dict[str, Any]], variables: Mapping[str, str],
               event: Event) -> dict[str, Any] | None:
    """The rule that decides, or None when none matches."""
    for rule in rules:
        if "if" in rule and not holds(rule["if"], variables):
            continue
        if "changes" in rule and not _changes_hold(rule["changes"], event):
            continue
        return rule
    return None


# -- the pipeline -----------------------------------------------------------------------------------


def load(path: Any) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(path.read_text())
    return config


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = _merge(out[key], value) if both else value
    return out


def resolved(config: dict[str, Any], name: str) -> dict[str, Any]:
    """A job with its ``extends`` chain merged in (deep merge of mappings, as GitLab does)."""
    body = config[name]
    merged: dict[str, Any] = {}
    parents = body.get("extends", [])
    for parent in [parents] if isinstance(parents, str) else parents:
        merged = _merge(merged, resolved(config, parent))
    return _merge(merged, {k: v for k, v in body.items() if k != "extends"})


def _global_variables(config: dict[str, Any]) -> dict[str, str]:
    return {name: str(value["value"] if isinstance(value, dict) else value)
            for name, value in config.get("variables", {}).items()}


def plan(config: dict[str, Any], event: Event) -> dict[str, PlannedJob] | None:
    """The jobs of the pipeline ``event`` starts, or None when ``workflow:rules`` creates none."""
    variables = {**_global_variables(config), **event.predefined(), **event.variables}
    workflow = config.get("workflow", {}).get("rules")
    if workflow is not None:
        rule = first_rule(workflow, variables, event)
        if rule is None or rule.get("when") == "never":
            return None
    jobs: dict[str, PlannedJob] = {}
    for name, raw in config.items():
        if name in GLOBAL_KEYS or name.startswith(".") or not isinstance(raw, dict):
            continue
        job = resolved(config, name)
        rule = first_rule(job["rules"], variables, event) if "rules" in job else {}
        if rule is None or rule.get("when") == "never":
            continue
        needs = rule.get("needs", job.get("needs", []))
        jobs[name] = PlannedJob(name, rule.get("when", "on_success"),
                                tuple(n if isinstance(n, str) else n["job"] for n in needs),
                                {**job.get("variables", {}), **rule.get("variables", {})}, job)
    for planned in jobs.values():
        missing = [need for need in planned.needs if need not in jobs]
        if missing:
            raise PipelineError(f"{planned.name} needs {missing}, which this pipeline does not hold")
    if not jobs:
        raise PipelineError("the pipeline holds no job")
    return jobs
