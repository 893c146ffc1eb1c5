"""Repositories txaio-cpp needs, declared so that it and its consumers build offline.

In this repository's WORKSPACE and in a consumer's, after the consumer declared
txaio-cpp itself (any way it likes; @txaio below):

    load("@txaio//:deps.bzl", "txaio_deps")
    txaio_deps()

The system libraries (Abseil, Boost, GoogleTest, ...) are packages inside
txaio-cpp (//third_party/...), not repositories, so they never collide with a
consumer's own. What is declared here are the stand-ins for the repositories
Bazel 4.2.3 itself wants to download (rules_cc, rules_java,
remote_coverage_tools). They live in third_party/ of txaio-cpp and are found
from this file's own location, so consumers pass no path. It also registers
the Python toolchain for Debian's /usr/bin/python3, which the Python binding
(//bindings/python:txaio) is built for.
"""

# Resolved against the repository this file was loaded from (txaio-cpp,
# whatever name the consumer gave it), at load time.
_ANCHOR = Label("//:deps.bzl")

_PYTHON_TOOLCHAIN = str(Label("//third_party/python:python_toolchain"))

_STAND_INS = ["rules_cc", "rules_java", "remote_coverage_tools"]

def _stand_in_impl(ctx):
    # local_repository would need a path relative to the consumer's
    # workspace root, which only the consumer knows; this repository finds
    # third_party/<name> next to deps.bzl instead. Its files are symlinked,
    # so edits to them are seen without refetching.
    source = ctx.path(ctx.attr._anchor).dirname.get_child("third_party").get_child(ctx.attr.stand_in)
    if not source.exists:
        fail("txaio_deps: missing stand-in directory %s" % source)
    for entry in source.readdir():
        ctx.symlink(entry, entry.basename)

_stand_in = repository_rule(
    implementation = _stand_in_impl,
    doc = "A repository whose files are txaio-cpp's third_party/<stand_in>.",
    attrs = {
        "stand_in": attr.string(mandatory = True, values = _STAND_INS),
        "_anchor": attr.label(default = _ANCHOR, allow_single_file = True),
    },
    local = True,
)

def txaio_deps():
    """Declares every repository txaio-cpp needs that is not declared yet.

    A repository the consumer already declared (for instance its own rules_cc)
    is left as it is, and a Python toolchain it registered earlier is chosen
    before txaio-cpp's, so call this after the consumer's own declarations.
    """
    for name in _STAND_INS:
        if not native.existing_rule(name):
            _stand_in(name = name, stand_in = name)
    native.register_toolchains(_PYTHON_TOOLCHAIN)
