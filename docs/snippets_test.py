#!/usr/bin/python3
"""Compiles every ```cpp snippet of the given Markdown files; runs programs.

Usage: snippets_test.py MANIFEST FILE.md...  (MANIFEST: see docs/snippets.bzl)

How a snippet becomes a translation unit:
  * A snippet with #include lines is compiled as it stands; one without gets
    the public headers (core/txaio.h, core/testutil.h, the Asio and manual
    backends) and the standard headers the docs use put in front of it.
    Programs link every backend (//backends:linked).
  * An HTML comment right before the fence (blank lines between are fine)
    gives hidden context, for snippets that are fragments:
        <!-- snippet-context
        struct Reply {};
        void example(txaio::Future<Reply> reply) {
        @snippet
        }
        -->
    The snippet replaces the line "@snippet"; the result is compiled.
  * A translation unit defining `int main(` is a program: it is compiled,
    linked against the libraries and run, and must exit 0 within 60 s.
    Anything else is checked with -fsyntax-only.
Warnings are errors: the docs should show warning-clean code.
"""
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^```cpp[^\n]*\n(.*?)^```", re.S | re.M)
CONTEXT_OPEN = "<!-- snippet-context"
PROGRAM = re.compile(r"^\s*int main\(", re.M)
INCLUDES = """\
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "backends/asio/asio_loop.h"
#include "backends/manual/manual_loop.h"
#include "core/testutil.h"
#include "core/txaio.h"
"""


def read_manifest(path):
    copts, linkopts, defines, libs = [], [], [], []
    with open(path) as f:
        for line in f:
            kind, _, value = line.rstrip("\n").partition(" ")
            if kind == "copt":
                copts.append(value)
            elif kind == "linkopt":
                linkopts.append(value)
            elif kind == "define":
                defines.append("-D" + value)
            elif kind == "lib":
                libs.append(value)
            elif kind == "alwayslink":
                libs += ["-Wl,--whole-archive", value, "-Wl,--no-whole-archive"]
    return copts + defines, libs, linkopts


def snippets(path):
    """Yields (line, translation unit) for each ```cpp block of `path`."""
    with open(path) as f:
        text = f.read()
    for match in FENCE.finditer(text):
        before = text[: match.start()]
        line = before.count("\n") + 2
        code = match.group(1)
        start = before.rfind(CONTEXT_OPEN)
        if start >= 0:
            comment, _, rest = before[start + len(CONTEXT_OPEN):].partition("-->")
            if not rest.strip():
                if "\n@snippet\n" not in comment:
                    raise SystemExit(f"{path}:{line}: snippet-context has no @snippet line")
                code = comment.replace("\n@snippet\n", "\n" + code, 1)
        if not re.search(r"^#include", match.group(1), re.M):
            code = INCLUDES + "\n" + code
        yield line, code


def check(name, code, copts, libs, linkopts):
    """Returns (name, None) on success, (name, what went wrong) otherwise."""
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "snippet.cc")
        with open(source, "w") as f:
            f.write(code)
        flags = ["-std=c++20", "-Wall", "-Wextra", "-Werror", "-I", os.getcwd()]
        program = bool(PROGRAM.search(code))
        output = os.path.join(tmp, "snippet")
        if program:
            command = (["g++"] + copts + flags + ["-o", output, source] +
                       ["-Wl,--start-group"] + libs + ["-Wl,--end-group"] + linkopts)
        else:
            # Checked, not built: code generation would only add time.
            command = ["g++", "-fsyntax-only"] + copts + flags + [source]
        built = subprocess.run(command, capture_output=True, text=True)
        if built.returncode != 0:
            numbered = "\n".join(f"{i:4} {l}" for i, l in enumerate(code.splitlines(), 1))
            return name, f"does not compile:\n{built.stderr}\n{numbered}"
        if not program:
            return name, None
        try:
            ran = subprocess.run([output], capture_output=True, text=True, timeout=60, cwd=tmp)
        except subprocess.TimeoutExpired:
            return name, "did not exit within 60 s"
        if ran.returncode != 0:
            return name, f"exited with {ran.returncode}:\n{ran.stdout}\n{ran.stderr}"
        return name, None


def main():
    copts, libs, linkopts = read_manifest(sys.argv[1])
    jobs = []
    for path in sys.argv[2:]:
        path = os.path.normpath(path)
        for line, code in snippets(path):
            jobs.append((f"{path}:{line}", code))
    if not jobs:
        raise SystemExit("no ```cpp snippets found: wrong arguments?")
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda job: check(job[0], job[1], copts, libs, linkopts), jobs)
        for name, problem in results:
            if problem is None:
                print(f"ok   {name}")
            else:
                failed += 1
                print(f"FAIL {name} {problem}")
    print(f"{len(jobs) - failed} of {len(jobs)} snippets ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
