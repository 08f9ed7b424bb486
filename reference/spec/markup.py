"""The Markdown the specification's texts are written in, to HTML.

Theory of operation
-------------------
The narratives (opcodes/NAME.md, topics/NAME.md) use a small, closed subset
of Markdown, so a few lines of our own read it and nothing is left to a
library's guesses:

- blocks: ``#`` to ``####`` headings, paragraphs, ``-`` and ``1.`` lists
  (an item continues on lines indented by two spaces), fenced code blocks
  (three backticks), and tables (``| a | b |`` rows, the second row the
  ``|---|`` separator);
- inline: ```code```, ``**strong**``, ``*emphasis*`` (not inside a word:
  ``2**31`` is a power), ``[text](target)``.

Every character of the text is escaped: a ``<`` in a narrative is shown as a
``<``, never read as markup.  Links are made where the text names something:
a code span that is exactly an opcode name links to its page; ``gh-NNNN``,
``bpo-NNNN`` and ``PEP NNN`` link to CPython's tracker and the PEP index; a
link target ``opcode:NAME`` or ``topic:NAME`` is resolved to that page, and
an unknown one is a `MarkupError` naming the file and line, as is an
unclosed code block or a table row with the wrong number of cells.
"""

import html
import re

__all__ = ["MarkupError", "Links", "to_html", "inline", "tracker_url", "REF"]


class MarkupError(ValueError):
    """Text the subset does not read; names the file and line."""

    def __init__(self, file, line, message):
        self.file = file
        self.line = line
        super().__init__("%s:%d: %s" % (file, line, message))


class Links:
    """Where names lead from one page: opcode and topic pages, by name."""

    def __init__(self, opcode_names, topic_names, opcode_href, topic_href):
        self.opcode_names = frozenset(opcode_names)
        self.topic_names = frozenset(topic_names)
        self.opcode_href = opcode_href  # name -> relative URL
        self.topic_href = topic_href


# gh-1234, bpo-1234, PEP 574 / pep-574
REF = re.compile(r"\b(gh-[0-9]+|bpo-[0-9]+|PEP[ -][0-9]+|pep-[0-9]+)\b")
_INLINE = re.compile(
    r"`(?P<code>[^`]+)`"
    r"|(?<!\w)\*\*(?P<strong>[^*\s](?:[^*]*[^*\s])?)\*\*(?!\w)"
    r"|(?<![\w*])\*(?P<em>[^*\s](?:[^*]*[^*\s])?)\*(?![\w*])"
    r"|\[(?P<text>[^\]]+)\]\((?P<target>[^)\s]+)\)")
_HEADING = re.compile(r"(#{1,4}) (.+)")
_BULLET = re.compile(r"- (.*)")
_NUMBERED = re.compile(r"[0-9]+\. (.*)")


def tracker_url(ref):
    """The URL of a tracker reference (gh-N, bpo-N, PEP N, pep-N), or None."""
    kind, number = re.split(r"[ -]", ref, maxsplit=1)
    kind = kind.lower()
    if kind == "gh":
        return "https://github.com/python/cpython/issues/%s" % number
    if kind == "bpo":
        return "https://bugs.python.org/issue%s" % number
    if kind == "pep":
        return "https://peps.python.org/pep-%04d/" % int(number)
    return None


def _text(text):
    """Escaped plain text, with tracker references made links."""
    out = []
    pos = 0
    for m in REF.finditer(text):
        out.append(html.escape(text[pos:m.start()]))
        out.append('<a class="ref" href="%s">%s</a>' % (html.escape(tracker_url(m.group(1))),
                                                        html.escape(m.group(1))))
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def inline(text, links, where=("<text>", 0)):
    """One line or paragraph of inline markup, escaped, as HTML."""
    out = []
    pos = 0
    for m in _INLINE.finditer(text):
        out.append(_text(text[pos:m.start()]))
        pos = m.end()
        if m.group("code") is not None:
            code = m.group("code")
            if links is not None and code in links.opcode_names:
                out.append('<a class="op" href="%s"><code>%s</code></a>'
                           % (html.escape(links.opcode_href(code)), html.escape(code)))
            else:
                out.append("<code>%s</code>" % html.escape(code))
        elif m.group("strong") is not None:
            out.append("<strong>%s</strong>" % inline(m.group("strong"), links, where))
        elif m.group("em") is not None:
            out.append("<em>%s</em>" % inline(m.group("em"), links, where))
        else:
            out.append('<a href="%s">%s</a>' % (html.escape(_target(m.group("target"), links, where)),
                                                inline(m.group("text"), None, where)))
    out.append(_text(text[pos:]))
    return "".join(out)


def _target(target, links, where):
    kind, _, name = target.partition(":")
    if kind == "opcode":
        if links is None or name not in links.opcode_names:
            raise MarkupError(where[0], where[1], "link to an unknown opcode %r" % name)
        return links.opcode_href(name)
    if kind == "topic":
        if links is None or name not in links.topic_names:
            raise MarkupError(where[0], where[1], "link to an unknown topic %r" % name)
        return links.topic_href(name)
    if kind in ("http", "https"):
        return target
    raise MarkupError(where[0], where[1], "link target %r is neither opcode:, topic: nor a URL"
                      % target)


def _cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def to_html(text, links, file="<text>"):
    """A whole text in the subset, as HTML blocks."""
    lines = text.splitlines()
    out = []
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        number = i + 1
        where = (file, number)
        if not line.strip():
            i += 1
            continue
        if line.startswith("```"):
            end = i + 1
            while end < n and not lines[end].startswith("```"):
                end += 1
            if end == n:
                raise MarkupError(file, number, "code block without its closing ```")
            out.append('<pre class="example">%s</pre>' % html.escape("\n".join(lines[i + 1:end])))
            i = end + 1
            continue
        m = _HEADING.match(line)
        if m:
            level = len(m.group(1)) + 1  # the page title is the <h1>
            out.append("<h%d>%s</h%d>" % (level, inline(m.group(2), links, where), level))
            i += 1
            continue
        if line.startswith("|"):
            rows = []
            while i < n and lines[i].startswith("|"):
                rows.append((i + 1, _cells(lines[i])))
                i += 1
            if len(rows) < 2 or not all(set(c) <= set("-: ") and c for c in rows[1][1]):
                raise MarkupError(file, rows[0][0], "a table needs a |---| row second")
            width = len(rows[0][1])
            for row_number, cells in rows:
                if len(cells) != width:
                    raise MarkupError(file, row_number, "table row has %d cells, the header %d"
                                      % (len(cells), width))
            head = "".join("<th>%s</th>" % inline(c, links, (file, rows[0][0])) for c in rows[0][1])
            body = "".join("<tr>%s</tr>" % "".join("<td>%s</td>" % inline(c, links, (file, r))
                                                   for c in cells) for r, cells in rows[2:])
            out.append('<table class="text"><thead><tr>%s</tr></thead><tbody>%s</tbody></table>'
                       % (head, body))
            continue
        item = _BULLET.match(line) or _NUMBERED.match(line)
        if item:
            tag = "ul" if _BULLET.match(line) else "ol"
            pattern = _BULLET if tag == "ul" else _NUMBERED
            items = []
            while i < n:
                m = pattern.match(lines[i])
                if not m:
                    break
                start = i + 1
                parts = [m.group(1)]
                i += 1
                while i < n and lines[i].startswith("  ") and lines[i].strip():
                    parts.append(lines[i].strip())
                    i += 1
                items.append("<li>%s</li>" % inline(" ".join(parts), links, (file, start)))
            out.append("<%s>%s</%s>" % (tag, "".join(items), tag))
            continue
        parts = []
        while i < n and lines[i].strip() and not lines[i].startswith(("```", "|", "#")) \
                and not _BULLET.match(lines[i]) and not _NUMBERED.match(lines[i]):
            parts.append(lines[i].strip())
            i += 1
        out.append("<p>%s</p>" % inline(" ".join(parts), links, where))
    return "\n".join(out)
