#!/usr/bin/env python3
"""Keeps the Reference section of docs/c_api.md generated from txaio.h.

Each exported function of bindings/c/txaio.h becomes a bullet with its
declaration and the comment above it, under the header's banner titles. A
section whose banner declares no function (the handle and callback types)
keeps the prose written in the document. The header is authoritative:

    tools/c_api_reference.py --check   # exit 1 if docs/c_api.md is stale
    tools/c_api_reference.py --write   # regenerate it
"""
import argparse
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
HEADER = ROOT / "bindings/c/txaio.h"
DOC = ROOT / "docs/c_api.md"
REFERENCE = "## Reference"
INTRO = ('Generated from the comments in `txaio.h` by `tools/c_api_reference.py` '
         '(the header is authoritative). "Loop thread" means: only\n'
         "from the thread running the handle's loop.\n")


def _text(comment):
    return " ".join(" ".join(
        line.strip().lstrip("*").strip() for line in comment.splitlines()).split())


def sections(header_text):
    """[(title, [(declaration or None, comment)])] in header order; a comment
    standing alone (a blank line after it) is a paragraph of the section."""
    result = []
    banner = re.compile(r"/\* -{20,} \*/\n/\* (.+?)\s*\*/\n")
    parts = banner.split(header_text)
    for title, body in zip(parts[1::2], parts[2::2]):
        entries = []
        # A comment's text holds no "*/"; it documents the declaration right
        # below it, or stands alone before a blank line.
        pattern = r"^/\*((?:(?!\*/).)*)\*/\n(?:(\n)|TXAIO_EXPORT (.*?;))"
        for m in re.finditer(pattern, body, re.S | re.M):
            if m.group(2):
                entries.append((None, _text(m.group(1))))
            else:
                decl = " ".join(m.group(3).split()).replace("( ", "(")
                entries.append((decl, _text(m.group(1))))
        result.append((title, entries))
    return result


def render(header_text, old_reference):
    """The Reference section; prose of function-less sections from the old one."""
    kept = {}
    for m in re.finditer(r"^### (.+?)\n(.*?)(?=^### |\Z)", old_reference, re.S | re.M):
        kept[m.group(1)] = m.group(2).strip("\n")
    out = [REFERENCE, "", INTRO]
    for title, entries in sections(header_text):
        out.append("### " + title)
        out.append("")
        if any(decl for decl, _ in entries):
            for decl, comment in entries:
                if decl is None:
                    out.append(comment)
                else:
                    out.append("- `%s`  " % decl)
                    out.append("  " + comment)
                out.append("")
        else:
            out.append(kept.get(title, ""))
            out.append("")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def main():
    parser = argparse.ArgumentParser()
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true")
    mode.add_argument("--write", action="store_true")
    parser.add_argument("--header", type=pathlib.Path, default=HEADER)
    parser.add_argument("--doc", type=pathlib.Path, default=DOC)
    args = parser.parse_args()
    doc = args.doc.read_text()
    at = doc.index(REFERENCE)
    new = doc[:at] + render(args.header.read_text(), doc[at:])
    if args.write:
        args.doc.write_text(new)
        return 0
    if new != doc:
        sys.stderr.write("%s is stale: run tools/c_api_reference.py --write\n" % args.doc)
        return 1
    print("PASS: the C API reference matches txaio.h")
    return 0


if __name__ == "__main__":
    sys.exit(main())
