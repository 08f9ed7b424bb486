"""The specification as a static web site: ``picklespec spec DIR``.

Theory of operation
-------------------
`build()` gathers what the site says from where it lives, at generation
time, and renders every page to a string; `write()` puts them in a folder.
Nothing is copied by hand, so nothing drifts:

- each opcode's row from the opcode table (`picklespec.reference.opcodes`);
- its narrative from opcodes/NAME.md and the topics from topics/NAME.md
  (`texts`), in the Markdown subset `markup` reads;
- its handler's source from the reference unpickler (`handlers`);
- its cases from the corpus (`picklespec.cases.corpus.load_corpus`): the
  cases tagged with the opcode's name, each stream as hex and as assembly
  text (`picklespec.reference.asm`), with what it must do;
- the conformance of every published target on those cases, from
  reports/known (`conformance`): the cells of that run that failed.

The pages are plain HTML with one stylesheet, no scripts and nothing
fetched, so the site works from a folder.  Every text that comes from data
(case titles, notes, streams, source) is escaped.  The output is a function
of those inputs only: no clock, sorted iteration, so a test can regenerate
the published copy (reports/spec/) and compare it byte for byte.

Long streams are cut for reading: the hex at `HEX_BYTES` bytes and the
disassembly at `DIS_LINES` lines of at most `DIS_WIDTH` characters, each cut
saying how much was left out; the case file holds the whole stream.
"""

import argparse
import html
import os
import sys

from .. import opcodes
from . import markup, texts
from .handlers import handler_sources
from .conformance import KnownError, read_published

__all__ = ["build", "write", "main", "HEX_BYTES", "DIS_LINES", "DIS_WIDTH"]

HEX_BYTES = 128
DIS_LINES = 40
DIS_WIDTH = 120
OBJECT_CHARS = 1500
SHORT_STREAM = 512  # bytes: disassembled whole, in one pass

PROTOCOLS = {
    0: ("Protocol 0", "the original text format"),
    1: ("Protocol 1", "binary forms"),
    2: ("Protocol 2", "Python 2.3, PEP 307: new-style classes, PROTO, extension codes"),
    3: ("Protocol 3", "Python 3.0: bytes"),
    4: ("Protocol 4", "Python 3.4, PEP 3154: framing, 8-byte sizes, sets, MEMOIZE"),
    5: ("Protocol 5", "Python 3.8, PEP 574: out-of-band buffers"),
}

# The case files each topic page shows in full, in this order.
TOPIC_CASES = {
    "framing": ("accept/framing.yaml", "implementation-defined/frames.yaml"),
    "memo": ("accept/opcodes-memo.yaml", "reject/memo.yaml", "implementation-defined/memo.yaml"),
    "reduce": ("accept/opcodes-objects.yaml", "implementation-defined/build.yaml"),
    "persistent-ids": ("accept/opcodes-persistent.yaml", "dump/persistent.yaml"),
    "buffers": ("accept/opcodes-buffers.yaml", "dump/buffer.yaml"),
    "python2": ("accept/python2.yaml", "accept/fix-imports.yaml", "reject/python2.yaml"),
    "security": ("accept/scanner-bypass.yaml", "reject/scanner-bypass.yaml"),
}

CLASSIFICATION_ORDER = ("accept", "reject", "implementation-defined", "dump")
CLASSIFICATION_TITLES = {
    "accept": "Streams that must load",
    "reject": "Streams that must be rejected",
    "implementation-defined": "Streams with more than one allowed outcome",
    "dump": "Objects and the streams CPython writes for them",
}

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def default_known():
    """The published run to show: the repository's reports/known, found next to
    the sources (a checkout, an editable install) or under the current folder
    (an installed package run from the repository root); None if neither."""
    for folder in (os.path.join(_REPO, "reports", "known"), os.path.join("reports", "known")):
        if os.path.exists(os.path.join(folder, "baseline.json")):
            return folder
    return None


def shown_path(folder):
    """How pages name a folder: relative to the repository or the current folder."""
    folder = os.path.abspath(folder)
    for root in (_REPO, os.getcwd()):
        rel = os.path.relpath(folder, root)
        if not rel.startswith(os.pardir):
            return rel.replace(os.sep, "/")
    return folder

e = html.escape


# -- gathering -----------------------------------------------------------------


def cases_by_opcode(corpus):
    """Opcode name -> the cases tagged with it, in corpus order."""
    out = {op.name: [] for op in opcodes.opcodes}
    for case in corpus.cases:
        for tag in case.tags:
            if tag in out:
                out[tag].append(case)
    return out


# -- small renderers -----------------------------------------------------------


def hex_dump(data):
    """The bytes as offset-prefixed hex rows of 16, cut at HEX_BYTES."""
    rows = []
    shown = data[:HEX_BYTES]
    for start in range(0, len(shown), 16):
        chunk = shown[start:start + 16]
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        rows.append("%04x  %-47s  %s" % (start, " ".join("%02x" % b for b in chunk), text))
    if len(data) > HEX_BYTES:
        rows.append("... %d more bytes (%d in all)" % (len(data) - HEX_BYTES, len(data)))
    if not data:
        rows.append("(no bytes)")
    return "\n".join(rows)


def disassembly(data):
    """`picklespec dis` text of the first DIS_LINES instructions (offsets, MARK indents)."""
    from .. import asm

    if len(data) <= SHORT_STREAM:
        lines = asm.disassemble(data, offsets=True).splitlines()
        count = len(lines)
    else:
        # Disassemble only the instructions shown: a stream of 100,000 nested
        # MARKs would otherwise be gigabytes of indentation.
        instructions = asm.read_instructions(data)
        count = len(instructions)
        shown = data[:instructions[DIS_LINES].offset] if count > DIS_LINES else data
        lines = asm.disassemble(shown, offsets=True).splitlines()
    out = []
    for line in lines[:DIS_LINES]:
        if len(line) > DIS_WIDTH:
            line = line[:DIS_WIDTH] + " ... (%d more characters)" % (len(line) - DIS_WIDTH)
        out.append(line)
    if count > DIS_LINES:
        out.append("... %d more instructions" % (count - DIS_LINES))
    return "\n".join(out)


def object_text(value):
    from picklespec.cases.notation import dump_object

    text = dump_object(value).rstrip("\n")
    if len(text) > OBJECT_CHARS:
        text = text[:OBJECT_CHARS] + "\n... (%d more characters)" % (len(text) - OBJECT_CHARS)
    return text


def stream_block(data, label=None):
    head = '<div class="label">%s</div>' % e(label) if label else ""
    return ('<div class="stream">%s<div class="pair"><pre class="hex">%s</pre>'
            '<pre class="dis">%s</pre></div></div>' % (head, e(hex_dump(data)), e(disassembly(data))))


def plural(n, word):
    return "%d %s%s" % (n, word, "" if n == 1 else "s")


def stack_text(entries):
    return ", ".join(s.name for s in entries) or "(nothing)"


def code_text(op):
    printable = 32 < op.byte < 127
    return "0x%02x%s" % (op.byte, " (%r)" % op.code if printable else "")


def refs_html(refs):
    out = []
    for ref in refs:
        url = markup.tracker_url(ref) if markup.REF.fullmatch(ref) else ref
        out.append('<a class="ref" href="%s">%s</a>' % (e(url or ref), e(ref)))
    return ", ".join(out)


# -- pages ---------------------------------------------------------------------


class Site:
    def __init__(self, corpus, published, op_texts, topic_texts):
        self.corpus = corpus
        self.published = published
        self.op_texts = op_texts
        self.topic_texts = topic_texts
        self.cases = cases_by_opcode(corpus)
        self._case_html = {}  # case id -> its markup, the same on every page

    def links(self, depth):
        up = "../" * depth
        return markup.Links(opcodes.by_name, texts.TOPICS,
                            lambda name: "%sopcodes/%s.html" % (up, name),
                            lambda name: "%stopics/%s.html" % (up, name))

    def page(self, title, body, depth, current=None):
        up = "../" * depth
        nav = []
        for proto, (name, _) in PROTOCOLS.items():
            items = "".join(
                '<li><a%s href="%sopcodes/%s.html">%s</a></li>'
                % (' class="here"' if op.name == current else "", up, op.name, op.name)
                for op in opcodes.opcodes if op.proto == proto)
            nav.append("<h3>%s</h3><ul>%s</ul>" % (e(name), items))
        topics = "".join('<li><a%s href="%stopics/%s.html">%s</a></li>'
                         % (' class="here"' if name == current else "", up, name, e(title_))
                         for name, title_ in texts.TOPICS.items())
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            "<title>%s - picklespec</title>\n"
            '<link rel="stylesheet" href="%sstyle.css">\n</head>\n<body>\n'
            '<header><a class="home" href="%sindex.html">picklespec</a> '
            "<span>the pickle format, protocols 0 to 5</span></header>\n"
            '<div class="layout">\n<nav>\n<h3>Topics</h3><ul>%s</ul>\n%s\n</nav>\n'
            "<main>\n%s\n</main>\n</div>\n</body>\n</html>\n"
            % (e(title), up, up, topics, "\n".join(nav), body))

    # -- the index

    def index(self):
        out = ["<h1>The pickle format</h1>"]
        out.append(
            "<p>What every opcode of pickle protocols 0 to 5 means, when CPython writes it, "
            "what its edge cases do in each CPython, the reference unpickler's handler for it, "
            "the cases of the picklespec corpus that pin it down, and how every published "
            "implementation does on them. Generated by <code>picklespec spec</code> from the "
            "opcode table, the texts under <code>reference/spec/</code>, the reference "
            "unpickler, the case corpus and %s.</p>" % self.run_html())
        out.append("<h2>Topics</h2><ul class=\"topics\">%s</ul>" % "".join(
            '<li><a href="topics/%s.html">%s</a></li>' % (name, e(title))
            for name, title in texts.TOPICS.items()))
        out.append("<h2>The %d opcodes</h2>" % len(opcodes.opcodes))
        out.append('<p class="small">Stack effects are written topmost last. <em>Cases</em> '
                   'counts the corpus cases tagged with the opcode; <em>known failures</em> the '
                   'published targets with a failing cell on them.</p>')
        for proto, (name, what) in PROTOCOLS.items():
            ops = [op for op in opcodes.opcodes if op.proto == proto]
            out.append('<h3 id="protocol-%d">%s: %s (%d opcodes)</h3>' % (proto, e(name), e(what),
                                                                          len(ops)))
            rows = []
            for op in ops:
                failing = self.failing_targets(op.name)
                rows.append(
                    '<tr><td><a href="opcodes/%s.html"><code>%s</code></a></td><td><code>%s</code></td>'
                    "<td>%s</td><td>%s &rarr; %s</td><td>%s</td><td class=\"num\">%d</td>"
                    "<td>%s</td></tr>"
                    % (op.name, op.name, e(code_text(op)), e(op.arg.name) if op.arg else "-",
                       e(stack_text(op.before)), e(stack_text(op.after)),
                       markup.inline(op.doc, self.links(0)),
                       len(self.cases[op.name]),
                       e(", ".join(failing)) if failing else "none"))
            out.append('<table class="ops"><thead><tr><th>opcode</th><th>code</th><th>argument</th>'
                       "<th>stack</th><th>meaning</th><th>cases</th><th>known failures</th></tr>"
                       "</thead><tbody>%s</tbody></table>" % "".join(rows))
        return self.page("The pickle format", "\n".join(out), 0)

    def run_html(self):
        if self.published is None:
            return "no published run (none was given)"
        run = self.published.run or "a run whose summary.md gives no date"
        return "the published run in <code>%s</code> (%s)" % (e(self.published.folder), e(run))

    def failing_targets(self, name):
        if self.published is None:
            return []
        ids = {c.id for c in self.cases[name]}
        return sorted({cell.target for i in ids for cell in self.published.failures.get(i, ())})

    # -- an opcode's page

    def opcode_page(self, op):
        text = self.op_texts[op.name]
        links = self.links(1)
        out = ['<h1><code>%s</code> <span class="sub">%s</span></h1>' % (op.name, e(text.title))]
        arg = ("<code>%s</code>: %s" % (e(op.arg.name), e(op.arg.doc))) if op.arg else "none"
        out.append(
            '<table class="row"><tbody>'
            "<tr><th>code</th><td><code>%s</code></td></tr>"
            "<tr><th>argument</th><td>%s</td></tr>"
            "<tr><th>stack before</th><td>%s</td></tr>"
            "<tr><th>stack after</th><td>%s</td></tr>"
            '<tr><th>protocol</th><td><a href="../index.html#protocol-%d">%d</a></td></tr>'
            "<tr><th>meaning</th><td>%s</td></tr>"
            '</tbody></table><p class="small">The row of <code>reference/opcodes.py</code>, the one '
            "opcode table.</p>"
            % (e(code_text(op)), arg, e(stack_text(op.before)), e(stack_text(op.after)),
               op.proto, op.proto, markup.inline(op.doc, links)))
        out.append('<section class="narrative">%s</section>' % markup.to_html(text.body, links,
                                                                                text.file))
        out.append("<h2>The reference handler</h2>")
        out.append("<p>From <code>reference/unpickler.py</code>, read when this page was made: "
                   "the function registered with <code>handles(\"%s\")</code>%s.</p>"
                   % (op.name, ", and the unpickler methods it calls" if len(handler_sources(op.name)) > 1
                      else ""))
        for title, source in handler_sources(op.name):
            out.append('<div class="label">%s</div><pre class="source">%s</pre>'
                       % (e(title), e(source.rstrip("\n"))))
        out.append(self.conformance_html(op))
        out.append(self.cases_html(op))
        return self.page(op.name, "\n".join(out), 1, current=op.name)

    def conformance_html(self, op):
        cases = self.cases[op.name]
        out = ["<h2>Conformance</h2>"]
        if self.published is None:
            out.append("<p>No published run was given, so no conformance is shown.</p>")
            return "\n".join(out)
        out.append("<p>On the %d cases below, in %s. A cell the run's baseline does not list "
                   "conformed, or was not judged (a protocol or feature the target does not "
                   "support).</p>" % (len(cases), self.run_html()))
        by_target = {}
        for case in cases:
            for cell in self.published.failures.get(case.id, ()):
                by_target.setdefault(cell.target, []).append(cell)
        rows = []
        for name, impl, version, conformance in self.published.targets:
            cells = by_target.get(name, [])
            about = " ".join(x for x in (impl, version) if x)
            if not cells:
                rows.append('<tr class="ok"><td><code>%s</code></td><td>%s</td><td>%s</td>'
                            "<td>no known failure</td></tr>" % (e(name), e(about), e(conformance)))
                continue
            failing_cases = sorted({c.case for c in cells})
            items = "".join(
                '<li><a href="#case-%s">%s</a> %s %s%s: <span class="outcome-%s">%s</span></li>'
                % (e(c.case), e(c.case), "p%d" % c.protocol if c.protocol is not None else "",
                   e(c.check), " from %s" % e(c.producers) if c.producers else "", e(c.outcome),
                   e(c.outcome)) for c in cells)
            rows.append('<tr class="bad"><td><code>%s</code></td><td>%s</td><td>%s</td>'
                        "<td><details><summary>%s on %d of %d cases</summary>"
                        "<ul>%s</ul></details></td></tr>"
                        % (e(name), e(about), e(conformance), plural(len(cells), "failing cell"),
                           len(failing_cases), len(cases), items))
        clean = [t[0] for t in self.published.targets if t[0] not in by_target]
        out.append("<p><strong>%d of %d targets</strong> have no known failure on these cases%s.</p>"
                   % (len(clean), len(self.published.targets),
                      (": " + ", ".join("<code>%s</code>" % e(n) for n in clean)) if clean else ""))
        out.append('<table class="conf"><thead><tr><th>target</th><th>implementation</th>'
                   "<th>overall conformance</th><th>on this opcode's cases</th></tr></thead>"
                   "<tbody>%s</tbody></table>" % "".join(rows))
        return "\n".join(out)

    def cases_html(self, op):
        cases = self.cases[op.name]
        out = ["<h2>Cases</h2>"]
        if not cases:
            out.append("<p>No case of the corpus is tagged <code>%s</code>.</p>" % op.name)
            return "\n".join(out)
        out.append("<p>The %d cases of the corpus tagged <code>%s</code>. Open one for its "
                   "streams (hex, and the disassembly <code>picklespec dis</code> writes) and what "
                   "they must do.</p>" % (len(cases), op.name))
        for kind in CLASSIFICATION_ORDER:
            group = [c for c in cases if c.classification == kind]
            if not group:
                continue
            out.append("<h3>%s (%s, %d)</h3>" % (e(CLASSIFICATION_TITLES[kind]), e(kind), len(group)))
            out.extend(self.case_html(case) for case in group)
        return "\n".join(out)

    def case_html(self, case):
        html_ = self._case_html.get(case.id)
        if html_ is None:
            html_ = self._case_html[case.id] = self._render_case(case)
        return html_

    def _render_case(self, case):
        failing = self.published.failures.get(case.id, ()) if self.published else ()
        badge = ""
        if failing:
            targets = sorted({c.target for c in failing})
            badge = '<span class="badge bad">%s: %s</span>' % (
                plural(len(failing), "failing cell"),
                e(", ".join(targets)) if len(targets) <= 2 else "%d targets" % len(targets))
        rel = os.path.relpath(case.file, os.path.dirname(_cases_dir())).replace(os.sep, "/")
        head = ('<summary><code>%s</code> %s %s</summary>' % (e(case.id), e(case.title or ""), badge))
        body = ['<p class="meta"><code>%s</code> line %d; tags %s</p>'
                % (e(rel), case.line, e(", ".join(case.tags)))]
        if case.note:
            body.append('<p class="note">%s</p>' % e(case.note))
        if case.refs:
            body.append('<p class="meta">refs: %s</p>' % refs_html(case.refs))
        options = dict(case.load_options)
        options.pop("buffers", None)
        if options:
            body.append('<p class="meta">load options: <code>%s</code></p>' % e(
                ", ".join("%s=%s" % (k, v) for k, v in sorted(options.items()))))
        if case.classification == "dump":
            body.append('<div class="label">object</div><pre class="obj">%s</pre>'
                        % e(object_text(case.object)))
            if case.options:
                body.append('<p class="meta">pickler options: <code>%s</code></p>' % e(
                    ", ".join("%s=%s" % (k, v) for k, v in sorted(case.options.items()))))
            for protocol in sorted(case.streams):
                for variant in case.streams[protocol]:
                    label = "protocol %d, written by %s" % (protocol, variant.producer_text)
                    if variant.fails:
                        body.append('<div class="label">%s: cannot pickle it</div>' % e(label))
                        continue
                    if not variant.loads:
                        label += " (does not load back)"
                    elif variant.has_result:
                        label += " (loads to another object, below)"
                    body.append(stream_block(variant.stream, label))
                    if variant.note:
                        body.append('<p class="note">%s</p>' % e(variant.note))
                    if variant.has_result and variant.loads:
                        body.append('<div class="label">loads to</div><pre class="obj">%s</pre>'
                                    % e(object_text(variant.result)))
            if case.result is not case.object and case.result is not None:
                body.append('<div class="label">loads back to</div><pre class="obj">%s</pre>'
                            % e(object_text(case.result)))
        else:
            body.append(stream_block(case.data, "protocol %s stream" % case.protocol))
            if case.classification == "accept":
                body.append('<div class="label">must load to</div><pre class="obj">%s</pre>'
                            % e(object_text(case.result)))
            elif case.classification == "reject":
                body.append('<p class="expect">Must be rejected cleanly%s.</p>'
                            % (" (%s)" % e(case.failure) if case.failure else ""))
            else:
                items = []
                for outcome in case.outcomes:
                    seen = " (seen: %s)" % e(", ".join(str(s) for s in outcome.seen)) if outcome.seen else ""
                    if outcome.accepts:
                        items.append("<li>loads to <pre class=\"obj\">%s</pre>%s</li>"
                                     % (e(object_text(outcome.result)), seen))
                    else:
                        items.append("<li>rejected (%s)%s</li>" % (e(outcome.reject or ""), seen))
                body.append('<div class="label">allowed outcomes</div><ul>%s</ul>' % "".join(items))
        if failing:
            body.append('<div class="label">failing in the published run</div><ul>%s</ul>' % "".join(
                "<li><code>%s</code> %s %s%s: %s</li>"
                % (e(c.target), "p%d" % c.protocol if c.protocol is not None else "", e(c.check),
                   " from %s" % e(c.producers) if c.producers else "", e(c.outcome))
                for c in failing))
        return '<details class="case" id="case-%s">%s%s</details>' % (e(case.id), head,
                                                                      "\n".join(body))

    # -- topics

    def topic_page(self, name):
        text = self.topic_texts[name]
        body = "<h1>%s</h1>\n%s" % (e(text.title), markup.to_html(text.body, self.links(1),
                                                                   text.file))
        body += self.topic_cases_html(name)
        return self.page(text.title, body, 1, current=name)

    def topic_cases_html(self, name):
        files = TOPIC_CASES.get(name, ())
        cases = [c for c in self.corpus.cases if _case_file(c) in files]
        if not cases:
            return ""
        out = ["<h2>The cases (%d)</h2>" % len(cases),
               "<p>From %s: each stream with what every unpickler must do with it.</p>"
               % ", ".join("<code>cases/%s</code>" % e(f) for f in files)]
        for kind in CLASSIFICATION_ORDER:
            group = [c for c in cases if c.classification == kind]
            if group:
                out.append("<h3>%s (%s, %d)</h3>" % (e(CLASSIFICATION_TITLES[kind]), e(kind),
                                                     len(group)))
                out.extend(self.case_html(case) for case in group)
        return "\n".join(out)


def _case_file(case):
    """A case's file as CLASSIFICATION/NAME.yaml."""
    path = os.path.abspath(case.file)
    return "%s/%s" % (os.path.basename(os.path.dirname(path)), os.path.basename(path))


def _cases_dir():
    from picklespec.cases import corpus

    return corpus.CORPUS_DIR


def build(corpus=None, known=None):
    """Every page of the site: {relative path: text}.  `known` is the folder of
    the published run to show (baseline.json, summary.md), or None for none."""
    from picklespec.cases.corpus import load_corpus

    if corpus is None:
        corpus = load_corpus()
        if corpus.problems:
            raise ValueError("the case corpus has problems (picklespec cases check):\n  "
                             + "\n  ".join(str(p) for p in corpus.problems[:20]))
    published = None
    if known is not None:
        published = read_published(known, shown_as=shown_path(known))
    op_texts, topic_texts = texts.read_texts()
    site = Site(corpus, published, op_texts, topic_texts)
    pages = {"index.html": site.index()}
    for op in opcodes.opcodes:
        pages["opcodes/%s.html" % op.name] = site.opcode_page(op)
    for name in texts.TOPICS:
        pages["topics/%s.html" % name] = site.topic_page(name)
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "style.css"),
              encoding="utf-8") as f:
        pages["style.css"] = f.read()
    return pages


def write(pages, folder):
    """Write the pages under folder (each file whole: a temporary file, then rename)."""
    for rel, text in sorted(pages.items()):
        path = os.path.join(folder, *rel.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="picklespec spec",
        description="Write the pickle specification as a static web site (plain HTML and "
                    "CSS, no scripts, nothing fetched): an index of the opcodes, a page per "
                    "opcode and per topic.")
    parser.add_argument("dir", help="the folder to write the site to (made if missing)")
    parser.add_argument("--known", metavar="DIR", default=None,
                        help="the published run to show conformance from (a folder with "
                             "baseline.json and summary.md; default: the repository's "
                             "reports/known when there is one)")
    parser.add_argument("--no-known", action="store_true", help="show no conformance")
    args = parser.parse_args(argv)
    known = None if args.no_known else (args.known or default_known())
    if known is None and not args.no_known:
        sys.stderr.write("picklespec spec: no published run found (reports/known); the pages "
                         "show no conformance (give one with --known DIR)\n")
    if args.known and not os.path.exists(os.path.join(args.known, "baseline.json")):
        sys.stderr.write("picklespec spec: %s: no baseline.json there\n" % args.known)
        return 2
    try:
        pages = build(known=known)
    except (KnownError, ValueError, LookupError) as exc:
        sys.stderr.write("picklespec spec: %s\n" % exc)
        return 1
    try:
        write(pages, args.dir)
    except OSError as exc:
        sys.stderr.write("picklespec spec: %s: %s\n" % (exc.filename or args.dir, exc.strerror))
        return 1
    sys.stdout.write("picklespec spec: %d pages in %s (open %s)\n" % (
        sum(1 for p in pages if p.endswith(".html")), args.dir,
        os.path.join(args.dir, "index.html")))
    return 0
