"""Docstrings as plain text.

The docstrings are reStructuredText (the documentation site renders them);
the terminal (``describe()``, ``jaxdecay list``) shows them through
:func:`plain_text` and :func:`doc_summary`.
"""

from __future__ import annotations

import inspect
import re

# One inline construct each, tried left to right: ``literal``, :role:`text`,
# `link <url>`_ / `reference`_ / `default role`, **strong**, *emphasis*,
# footnote references [1]_.  Inline markup never spans a blank line.
_SPAN = r"(?:(?!\n[ \t]*\n).)+?"
_INLINE = re.compile(
    rf"``(?P<literal>{_SPAN})``"
    rf"|:(?:[\w.+-]+:)+`(?P<role>{_SPAN})`"
    rf"|`(?P<ref>{_SPAN})`(?:__?)?"
    rf"|(?<![\w*\\])\*\*(?P<strong>[^\s*](?:{_SPAN})?)(?<=[^\s\\])\*\*(?![\w*])"
    rf"|(?<![\w*\\])\*(?P<em>[^\s*](?:{_SPAN})?)(?<=[^\s\\*])\*(?![\w*])"
    r"|(?P<note>\[(?:\d+|#\w*|\*)\])_(?!\w)",
    re.S,
)
_DIRECTIVE = re.compile(
    r"(?P<indent>[ \t]*)\.\.[ \t]+(?P<name>[\w:.-]+)::[ \t]*(?P<arg>.*)"
)
_COMMENT = re.compile(r"(?P<indent>[ \t]*)\.\.(?:[ \t]+(?P<rest>.*))?$")
_ADMONITIONS = {
    "note", "warning", "tip", "hint", "important", "caution", "attention",
    "danger", "error", "seealso", "deprecated", "versionadded", "versionchanged",
}  # fmt: skip
_VERBATIM = {
    "math", "code", "code-block", "sourcecode", "doctest", "testcode", "testoutput",
}  # fmt: skip


def _inline(match: re.Match) -> str:
    kind = match.lastgroup
    text = match.group(kind)
    if kind in ("role", "ref"):
        titled = re.fullmatch(r"(?s)(.*?)\s*<([^<>]+)>", text)
        if titled and titled.group(1):
            title, target = titled.groups()
            return f"{title} ({target})" if "://" in target else title
        text = titled.group(2) if titled else text
        if text.startswith("~"):  # :func:`~a.b.c` shows as c
            text = text[1:].rsplit(".", 1)[-1]
        return text.lstrip("!")
    return text


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _block(lines: list[str], start: int, indent: int) -> int:
    """The end of the block of lines from ``start`` indented more than
    ``indent`` (blank lines inside it included, trailing ones not)."""
    end = i = start
    while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > indent):
        i += 1
        if lines[i - 1].strip():
            end = i
    return end


def _dedented(lines: list[str], prefix: str) -> list[str]:
    depth = min((_indent(x) for x in lines if x.strip()), default=0)
    return [prefix + x[depth:] if x.strip() else "" for x in lines]


def plain_text(doc: str | None) -> str:
    r"""A reStructuredText docstring as plain text, for a terminal.

    Inline markup keeps its text: a literal, a role (``:func:``, ``:class:``,
    ``:math:``, ...), a reference, strong and emphasized text show without
    their backticks, colons and stars (a link as its title and address).  A
    ``.. math::`` directive (or a code directive) shows its content indented
    four spaces under the directive's indentation; a note or a warning becomes
    ``Note: ...``; comments and link targets are dropped.  A literal block's
    ``::`` becomes ``:``, and the block, like a doctest, is kept as it is.

    Args:
      doc: the docstring (indented as written, or not).

    Examples:
      >>> print(plain_text('''Decay of ``init_value``, as :func:`~jd.decay`.
      ...
      ... .. math:: \\eta(t) = \\eta_0\\, r^{t}
      ... '''))
      Decay of init_value, as decay.
      <BLANKLINE>
          \eta(t) = \eta_0\, r^{t}
    """
    lines = inspect.cleandoc(doc or "").expandtabs().splitlines()
    out: list[str] = []
    prose: list[str] = []  # ordinary lines, converted together

    def flush():
        if prose:
            out.extend(_INLINE.sub(_inline, "\n".join(prose)).split("\n"))
            prose.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        directive = _DIRECTIVE.fullmatch(line)
        comment = None if directive else _COMMENT.fullmatch(line)
        if directive or comment:
            flush()
            pad = (directive or comment).group("indent")
            end = _block(lines, i + 1, len(pad))
            body = lines[i + 1 : end]
            if directive:
                name = directive.group("name").split(":")[-1].lower()
                arg = directive.group("arg").strip()
                while body and re.fullmatch(r"\s*:[\w-]+:.*", body[0]):
                    body = body[1:]  # the directive's options
                while body and not body[0].strip():
                    body = body[1:]
                if name in _VERBATIM:
                    first = [pad + "    " + arg] if arg and name == "math" else []
                    out.extend(first + _dedented(body, pad + "    "))
                elif name in _ADMONITIONS:
                    title = "See also" if name == "seealso" else name.capitalize()
                    text = _INLINE.sub(_inline, arg)
                    out.append(f"{pad}{title}:" + (f" {text}" if text else ""))
                    prose.extend(_dedented(body, pad + "  "))
                    flush()
                elif body:  # other directives: their content only
                    prose.extend(_dedented(body, pad))
                    flush()
            else:
                rest = comment.group("rest") or ""
                note = re.fullmatch(r"(\[(?:\d+|#\w*|\*)\])\s*(.*)", rest)
                if note:  # a footnote: `[1] text`
                    prose.append(f"{pad}{note.group(1)} {note.group(2)}".rstrip())
                    prose.extend(_dedented(body, pad + "    "))
                    flush()
            i = end
        elif line.lstrip().startswith(">>>"):  # a doctest, up to a blank line
            flush()
            while i < len(lines) and lines[i].strip():
                out.append(lines[i])
                i += 1
        elif line.rstrip().endswith("::"):  # a literal block follows
            text = line.rstrip()[:-2]
            if text.strip():
                spaced = text.endswith((" ", "\t"))  # "text ::" shows as "text"
                prose.append(text.rstrip() if spaced else text + ":")
            flush()
            end = _block(lines, i + 1, _indent(line))
            out.extend(lines[i + 1 : end])
            i = end
        else:
            prose.append(line)
            i += 1
    flush()
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(x.rstrip() for x in out)


def doc_summary(doc: str | None) -> str:
    """The first paragraph of a docstring, as plain text on one line.

    Examples:
      >>> doc_summary('''Decay of ``init_value``
      ...     (:class:`step_decay`).
      ...
      ... More.''')
      'Decay of init_value (step_decay).'
    """
    first = re.split(r"\n[ \t]*\n", inspect.cleandoc(doc or ""))[0]
    return " ".join(plain_text(first).split())
