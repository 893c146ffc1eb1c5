"""txaio_dist: the files `tools/install.sh` copies into an install prefix.

Bazel 4 has no cc_static_library, so this rule merges the static archives of
the given cc_library targets (and of their txaio dependencies) into one
archive, copies their public headers under include/txaio/ keeping the
repository layout (so `#include "core/txaio.h"` is the same line inside and
outside Bazel), and writes a pkg-config file whose flags come from the same
targets (defines and system link options), so it cannot drift from the build.
"""

load("@bazel_tools//tools/cpp:toolchain_utils.bzl", "find_cpp_toolchain")

def _static_archive(library):
    # PIC objects when Bazel built them, so the archive also links into
    # shared libraries and PIE executables.
    return library.pic_static_library or library.static_library

def _txaio_dist_impl(ctx):
    archives = []
    link_flags = []
    headers = []
    defines = []
    for dep in ctx.attr.libs:
        cc = dep[CcInfo]
        headers += cc.compilation_context.direct_public_headers
        defines += cc.compilation_context.defines.to_list()
        for linker_input in cc.linking_context.linker_inputs.to_list():
            link_flags += linker_input.user_link_flags
            for library in linker_input.libraries:
                archive = _static_archive(library)
                if archive == None:
                    fail("%s has no static archive to install" % linker_input.owner)
                archives.append(archive)

    # Order matters for static linking: keep the first occurrence of each.
    archives = {a.path: a for a in archives}.values()
    link_flags = {f: None for f in link_flags}.keys()
    defines = {d: None for d in defines}.keys()
    headers = {h.path: h for h in headers}.values()

    out = ctx.actions.declare_directory(ctx.label.name)
    archive_name = "lib%s.a" % ctx.attr.archive_basename
    ar = find_cpp_toolchain(ctx).ar_executable

    # The prefix stays a placeholder: install.sh writes the real one.
    pc = ctx.actions.declare_file(ctx.label.name + "_" + ctx.attr.pc_name + ".in")
    ctx.actions.expand_template(
        template = ctx.file.pc_template,
        output = pc,
        substitutions = {
            "@CFLAGS@": " ".join(["-I${includedir}/txaio"] + ctx.attr.cflags + ["-D" + d for d in defines]),
            "@LIBS@": " ".join(["-L${libdir}", "-l" + ctx.attr.archive_basename] + link_flags),
            "@VERSION@": ctx.attr.version,
        },
    )

    commands = [
        "set -eu",
        'out="%s"' % out.path,
        'mkdir -p "$out/lib/pkgconfig" "$out/include/txaio"',
    ]
    for header in headers:
        # short_path is the path inside the repository this header came from.
        rel = header.short_path
        if rel.startswith("../"):
            rel = rel.split("/", 2)[2]
        commands.append('install -D -m 0644 "%s" "$out/include/txaio/%s"' % (header.path, rel))

    # An MRI script merges whole archives without unpacking members whose
    # names may collide (two libraries can both have a util.o).
    mri = ["create $out/lib/%s" % archive_name]
    mri += ["addlib %s" % a.path for a in archives]
    mri += ["save", "end"]
    commands.append('printf "%%s\\n" %s | "%s" -M' % (
        " ".join(['"%s"' % line for line in mri]),
        ar,
    ))
    commands.append('"%s" s "$out/lib/%s"' % (ar, archive_name))
    commands.append('cp "%s" "$out/lib/pkgconfig/%s.in"' % (pc.path, ctx.attr.pc_name))

    ctx.actions.run_shell(
        inputs = depset(archives + headers + [pc], transitive = [find_cpp_toolchain(ctx).all_files]),
        outputs = [out],
        command = "\n".join(commands),
        mnemonic = "TxaioDist",
        progress_message = "Assembling the install tree %s" % ctx.label,
    )
    return [DefaultInfo(files = depset([out]))]

txaio_dist = rule(
    implementation = _txaio_dist_impl,
    doc = "An install tree: include/txaio/..., lib/lib<archive_basename>.a, lib/pkgconfig/<pc_name>.",
    attrs = {
        "libs": attr.label_list(
            providers = [CcInfo],
            doc = "cc_library targets whose headers and objects are installed.",
        ),
        "archive_basename": attr.string(mandatory = True),
        "pc_template": attr.label(allow_single_file = [".in"], mandatory = True),
        "pc_name": attr.string(mandatory = True),
        "version": attr.string(mandatory = True),
        "cflags": attr.string_list(doc = "Extra Cflags, e.g. the language standard."),
        "_cc_toolchain": attr.label(default = "@bazel_tools//tools/cpp:current_cc_toolchain"),
    },
    toolchains = ["@bazel_tools//tools/cpp:toolchain_type"],
    incompatible_use_toolchain_transition = True,
)
