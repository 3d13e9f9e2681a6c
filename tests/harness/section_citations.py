#!/usr/bin/env python3
"""Fails when code or docs cite a document section that does not exist.

    tests/harness/section_citations.py SOURCE-DIR

What counts as a citation (doc/DEVELOPING.md "The test harness"):
  - a document named, then a quoted section: doc/OPERATIONS.md "Retention",
    BENCHMARKS.md "The segment report", README "Quick start" (also with 's
    or a comma between them);
  - a Markdown link to a document, with or without an anchor:
    [Retention](OPERATIONS.md#retention);
  - inside a Markdown document, see "X" with no document named: a section of
    that same document.
A section exists when a heading of that document has that text, or that
text followed by a parenthesised date ("Title (2026-12-06, 22:04 UTC)").
"""
import os
import re
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
SKIP_DIRS = {".git", "build", ".devdb", "results", "node_modules"}
# Released migrations never change (their checksums are recorded in every
# database they were applied to): what they cite is history.
# tests/harness/ holds this check's own deliberately broken examples.
SKIP_PREFIXES = ("sql/migrations/", "tests/harness/")
SCANNED = (".cpp", ".h", ".sql", ".sh", ".md", ".txt", ".py", ".cmake", ".yaml", ".in")

# A document's name as code and docs write it.
DOC = r"(?P<doc>README(?:\.md)?|BENCHMARKS(?:\.md)?|(?:\.\./)*(?:doc|bench)/[\w./-]+\.md|[A-Z]+\.md)"
NAMED = re.compile(DOC + r"(?:'s)?,? \\?\"(?P<section>[^\"\\\n]{2,120})\\?\"")
LINK = re.compile(r"\[[^\]\n]*\]\((?P<target>[^)\s#]*\.md)?(?:#(?P<anchor>[\w-]+))?\)")
SEE = re.compile(r"\b[Ss]ee \"(?P<section>[^\"\n]{2,120})\"")


def slug(heading):
    """GitHub's anchor of a heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


_headings = {}


def headings(path):
    if path not in _headings:
        found = []
        in_code = False
        try:
            with open(path, encoding="utf-8") as f:
                for line in f:
                    if line.startswith("```"):
                        in_code = not in_code
                    m = re.match(r"^#{1,6} (.*?)\s*$", line)
                    if m and not in_code:
                        found.append(m.group(1))
        except FileNotFoundError:
            found = None
        _headings[path] = found
    return _headings[path]


def has_section(path, section):
    hs = headings(path)
    if hs is None:
        return False
    dated = re.compile(re.escape(section) + r" \(\d{4}-\d{2}-\d{2}")
    return any(h == section or dated.match(h) for h in hs)


def resolve(doc, citing_file):
    """The path of a document as cited from citing_file."""
    if doc in ("README", "README.md"):
        return os.path.join(ROOT, "README.md")
    if doc in ("BENCHMARKS", "BENCHMARKS.md"):
        return os.path.join(ROOT, "BENCHMARKS.md")
    if doc.startswith(("doc/", "bench/")):
        return os.path.join(ROOT, doc)
    # A relative name (OPERATIONS.md, ../../BENCHMARKS.md): beside the
    # citing file, else under doc/.
    beside = os.path.normpath(os.path.join(os.path.dirname(citing_file), doc))
    if os.path.exists(beside):
        return beside
    return os.path.join(ROOT, "doc", doc)


def files():
    for base, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        for n in names:
            if n.endswith(SCANNED):
                yield os.path.join(base, n)


def main():
    problems = []
    checked = 0
    for path in files():
        rel = os.path.relpath(path, ROOT)
        if rel.startswith(SKIP_PREFIXES):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        is_md = path.endswith(".md")
        # A citation may wrap: the text with each line break and the next
        # line's comment marker read as one space.
        joined = re.sub(r"\n[ \t]*(?://|--|#|\*|>)?[ \t]*", " ", text)
        starts = [m.start() for m in re.finditer(r"\n[ \t]*(?://|--|#|\*|>)?[ \t]*", text)]
        shrink = [m.end() - m.start() - 1 for m in re.finditer(r"\n[ \t]*(?://|--|#|\*|>)?[ \t]*", text)]
        for m in NAMED.finditer(joined):
            # Back to a line number of the original text.
            pos, lineno = m.start(), 1
            for start, extra in zip(starts, shrink):
                if start >= pos:
                    break
                pos += extra
                lineno += 1
            checked += 1
            target = resolve(m.group("doc"), path)
            if not has_section(target, m.group("section")):
                problems.append(f"{rel}:{lineno}: {m.group('doc')} has no section \"{m.group('section')}\"")
        for lineno, line in enumerate(text.split("\n"), 1):
            if is_md:
                for m in LINK.finditer(line):
                    if not m.group("target") and not m.group("anchor"):
                        continue
                    if m.group("target") and re.match(r"^[a-z]+:", m.group("target")):
                        continue
                    checked += 1
                    target = (os.path.normpath(os.path.join(os.path.dirname(path), m.group("target")))
                              if m.group("target") else path)
                    if headings(target) is None:
                        problems.append(f"{rel}:{lineno}: link to a missing file {m.group('target')}")
                    elif m.group("anchor") and m.group("anchor") not in {slug(h) for h in headings(target)}:
                        problems.append(f"{rel}:{lineno}: {m.group('target') or rel} has no anchor #{m.group('anchor')}")
                for m in SEE.finditer(line):
                    # "see doc/X.md "Y"" is a named citation, checked above.
                    before = line[: m.start()]
                    checked += 1
                    if not has_section(path, m.group("section")):
                        problems.append(f"{rel}:{lineno}: see \"{m.group('section')}\": no such section in this document")
    for p in problems:
        print(p)
    print(f"section_citations: {checked} citations checked, {len(problems)} broken")
    return 1 if problems or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
