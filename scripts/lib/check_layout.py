#!/usr/bin/env python3
"""Checks the source tree keeps the shape docs/architecture.md describes.

  * Layering: a module under src/ includes only itself and the modules its CMakeLists.txt names
    in DEPS (directly or through them), and DEPS never form a cycle, so a lower layer cannot
    reach up into a higher one.
  * Function length: no function body in src/ is longer than MAX_LINES lines, except the
    type switches listed in ALLOWED_LONG (one case per wire type or enumerator reads best
    whole).
  * Self-contained: no file in src/ cites a document that is not in the repository.

Usage: check_layout.py [ROOT]. Prints one line per finding and exits 1 when there is any.
Written by hand because no packaged linter knows this project's module graph; the C++ scan is
a small tokenizer (comments, strings, raw strings, braces), not a parser, which is enough for
clang-formatted code.
"""
import pathlib
import re
import sys

MAX_LINES = 60
# Type switches, allowed to be longer: one case per wire type or enumerator, read best whole.
# file name -> function names.
ALLOWED_LONG = {
    "msgpack.cpp": {"value"},  # one case per MessagePack format byte
    "pgoutput_decoder.cpp": {"decode_message"},  # one case per pgoutput message type
    "metrics.cpp": {"to_string"},  # one metric label per rejection reason
}
OUTSIDE_DOCS = re.compile(r"\b(PROTOCOL|DESIGN|STYLE)\.md\b|\.\./shared/")
SCOPE_WORDS = re.compile(r"\b(namespace|class|struct|union|enum)\b[^()]*$")


def module_deps(src):
    deps = {}
    for cmake in sorted(src.glob("*/CMakeLists.txt")):
        text = cmake.read_text()
        m = re.search(r"pulseboard_module\(\s*(\w+)([^)]*)\)", text)
        if not m:
            continue
        listed = re.search(r"DEPS\s+([\w\s]+)", m.group(2))
        deps[m.group(1)] = set(listed.group(1).split()) if listed else set()
    return deps


def reachable(deps, start):
    seen, todo = set(), [start]
    while todo:
        for d in deps.get(todo.pop(), ()):
            if d not in seen:
                seen.add(d)
                todo.append(d)
    return seen


def check_layering(src, deps, findings):
    for name in deps:
        if name in reachable(deps, name):
            findings.append(f"src/{name}/CMakeLists.txt: DEPS form a cycle through {name}")
    for path in sorted(src.glob("*/*.[ch]pp")):
        module = path.parent.name
        if module not in deps:
            continue
        allowed = reachable(deps, module) | {module}
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = re.match(r'\s*#include "(\w+)/', line)
            if m and m.group(1) in deps and m.group(1) not in allowed:
                findings.append(f"{path.relative_to(src.parent)}:{n}: {module} includes "
                                f"{m.group(1)}/, which is not in its DEPS")


def code_only(text):
    """The text with comments and string/char literals blanked, newlines kept."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif c == "R" and text.startswith('"', i + 1) and (i == 0 or not text[i - 1].isalnum()):
            k = text.find("(", i + 2)
            close = ")" + text[i + 2:k] + '"'
            j = text.find(close, k)
            j = n if j < 0 else j + len(close)
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def long_functions(text):
    """(first line, line count, name) of each function body longer than MAX_LINES."""
    code = code_only(text)
    stack = []  # per open brace: ("scope" | "function" | "block", start line, name)
    statement_start, statement, line = 1, "", 1
    found = []
    for c in code:
        if c == "\n":
            line += 1
        if c == "{":
            at_scope = all(kind == "scope" for kind, _, _ in stack)
            head = statement.strip()
            if at_scope and SCOPE_WORDS.search(head.split("(")[0] + " " if "(" in head else head):
                kind = "scope"
            elif at_scope and "(" in head:
                kind = "function"
            else:
                kind = "scope" if at_scope and head.endswith(("extern", '""')) else "block"
            name = re.findall(r"([\w:~]+)\s*\(", head)
            stack.append((kind, statement_start, name[0] if name else "?"))
            statement = ""
        elif c == "}":
            if stack:
                kind, start, name = stack.pop()
                if kind == "function" and line - start + 1 > MAX_LINES:
                    found.append((start, line - start + 1, name))
            statement = ""
        elif c == ";":
            statement = ""
        else:
            if not statement.strip() and not c.isspace():
                statement_start = line
            statement += c
    return found


def check_lengths(src, findings):
    for path in sorted(src.rglob("*.[ch]pp")):
        rel = str(path.relative_to(src))
        for start, count, name in long_functions(path.read_text()):
            if name.split("::")[-1] in ALLOWED_LONG.get(path.name, ()):
                continue
            findings.append(f"src/{rel}:{start}: {name} is {count} lines (at most {MAX_LINES})")


def check_citations(src, findings):
    for path in sorted(src.rglob("*")):
        if path.is_file():
            for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                if OUTSIDE_DOCS.search(line):
                    findings.append(f"{path.relative_to(src.parent)}:{n}: cites a document "
                                    "outside the repository")


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    src = root / "src"
    findings = []
    check_layering(src, module_deps(src), findings)
    check_lengths(src, findings)
    check_citations(src, findings)
    for f in findings:
        print(f)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
