"""Install trees: the files `tools/install.sh` copies into an install prefix.

txaio_dist (C++): Bazel 4 has no cc_static_library, so it merges the static
archives of the given cc_library targets (and of their txaio dependencies)
into one archive (txaio_static_library does that alone, for the C ABI), copies their public headers under include/txaio/ keeping the
repository layout (so `#include "core/txaio.h"` is the same line inside and
outside Bazel), and writes a pkg-config file.

txaio_dist_c (C ABI): the shared library, the static archive and the header
that //bindings/c builds, with a pkg-config file.

The pkg-config flags come from the same targets' CcInfo (defines and system
link options), so they cannot drift from what Bazel builds with. The prefix
stays a placeholder, @PREFIX@, that install.sh replaces.
"""

load("@bazel_tools//tools/cpp:toolchain_utils.bzl", "find_cpp_toolchain")

def _unique(items):
    # Keeps the first occurrence: link order matters for static libraries.
    return {item: None for item in items}.keys()

def _cc_flags(targets):
    """Returns (defines, link flags, static archives) of `targets` and their deps."""
    defines = []
    link_flags = []
    archives = {}
    for target in targets:
        cc = target[CcInfo]
        defines += cc.compilation_context.defines.to_list()
        for linker_input in cc.linking_context.linker_inputs.to_list():
            link_flags += linker_input.user_link_flags
            for library in linker_input.libraries:
                # PIC objects when Bazel built them, so the archive also links
                # into shared libraries, not only PIE executables.
                archive = library.pic_static_library or library.static_library
                if archive == None:
                    fail("%s has no static archive to install" % linker_input.owner)
                archives[archive.path] = archive
    return _unique(defines), _unique(link_flags), archives.values()

def _merge_commands(toolchain, archives, out_path):
    """Shell commands that merge `archives` into `out_path`: one archive of one
    relocatable object (ld -r --whole-archive). Linking any symbol of it then
    links all of it, so the backends' registrations (static objects nothing
    refers to by name) come along and make_loop("uv") works in a static link
    as it does in Bazel, where the libraries are alwayslink."""
    return [
        'obj="$(dirname "%s")/$(basename "%s" .a).o"' % (out_path, out_path),
        '"%s" -r -o "$obj" --whole-archive %s --no-whole-archive' % (
            toolchain.ld_executable,
            " ".join(['"%s"' % a.path for a in archives]),
        ),
        'rm -f "%s"' % out_path,
        '"%s" rcs "%s" "$obj"' % (toolchain.ar_executable, out_path),
        'rm -f "$obj"',
    ]

def _pkg_config(ctx, name, substitutions):
    pc = ctx.actions.declare_file("%s_%s.in" % (ctx.label.name, name))
    substitutions = dict(substitutions)
    substitutions["@VERSION@"] = ctx.attr.version
    ctx.actions.expand_template(
        template = ctx.file.pc_template,
        output = pc,
        substitutions = substitutions,
    )
    return pc

def _assemble(ctx, out, inputs, commands):
    ctx.actions.run_shell(
        inputs = inputs,
        outputs = [out],
        command = "\n".join(["set -eu", 'out="%s"' % out.path] + commands),
        mnemonic = "TxaioDist",
        progress_message = "Assembling the install tree %s" % ctx.label,
    )

def _txaio_dist_impl(ctx):
    defines, link_flags, archives = _cc_flags(ctx.attr.libs)
    # Every header of this repository the libraries use, so that listing
    # //backends:linked installs each linked backend's header too.
    headers = {}
    for target in ctx.attr.libs:
        for header in target[CcInfo].compilation_context.headers.to_list():
            if header.owner.workspace_name == ctx.label.workspace_name and not header.short_path.startswith("third_party/"):
                headers[header.path] = header
    headers = headers.values()

    out = ctx.actions.declare_directory(ctx.label.name)
    archive_name = "lib%s.a" % ctx.attr.archive_basename
    pc = _pkg_config(ctx, "txaio.pc", {
        "@CFLAGS@": " ".join(["-isystem${includedir}/txaio"] + ctx.attr.cflags + ["-D" + d for d in defines]),
        "@LIBS@": " ".join(["-L${libdir}", "-l" + ctx.attr.archive_basename] + link_flags),
    })
    toolchain = find_cpp_toolchain(ctx)

    commands = ['mkdir -p "$out/lib/pkgconfig" "$out/include/txaio"']
    for header in headers:
        # short_path is the header's path inside its repository, prefixed
        # with ../<repository>/ when txaio-cpp is an external repository.
        rel = header.short_path
        if rel.startswith("../"):
            rel = rel.split("/", 2)[2]
        commands.append('install -D -m 0644 "%s" "$out/include/txaio/%s"' % (header.path, rel))

    commands += _merge_commands(toolchain, archives, "$out/lib/" + archive_name)
    commands.append('cp "%s" "$out/lib/pkgconfig/%s.in"' % (pc.path, ctx.attr.pc_name))

    _assemble(ctx, out, depset(archives + headers + [pc], transitive = [toolchain.all_files]), commands)
    return [DefaultInfo(files = depset([out]))]

_COMMON_ATTRS = {
    "pc_name": attr.string(mandatory = True, doc = "The pkg-config file's name, e.g. txaio.pc."),
    "pc_template": attr.label(allow_single_file = [".in"], mandatory = True),
    "version": attr.string(mandatory = True),
}

txaio_dist = rule(
    implementation = _txaio_dist_impl,
    doc = "A C++ install tree: include/txaio/..., lib/lib<archive_basename>.a, lib/pkgconfig/<pc_name>.in.",
    attrs = dict(_COMMON_ATTRS, **{
        "libs": attr.label_list(
            providers = [CcInfo],
            mandatory = True,
            doc = "cc_library targets whose public headers and objects are installed.",
        ),
        "archive_basename": attr.string(mandatory = True),
        "cflags": attr.string_list(doc = "Extra Cflags, e.g. the language standard."),
        "_cc_toolchain": attr.label(default = "@bazel_tools//tools/cpp:current_cc_toolchain"),
    }),
    toolchains = ["@bazel_tools//tools/cpp:toolchain_type"],
    incompatible_use_toolchain_transition = True,
)

def _txaio_static_library_impl(ctx):
    _, _, archives = _cc_flags([ctx.attr.lib])
    toolchain = find_cpp_toolchain(ctx)
    out = ctx.outputs.out
    ctx.actions.run_shell(
        inputs = depset(archives, transitive = [toolchain.all_files]),
        outputs = [out],
        command = "\n".join(["set -eu"] + _merge_commands(toolchain, archives, out.path)),
        mnemonic = "TxaioStaticLibrary",
        progress_message = "Merging %s" % out.short_path,
    )
    return [DefaultInfo(files = depset([out]))]

txaio_static_library = rule(
    implementation = _txaio_static_library_impl,
    doc = "One static archive (of one object) holding `lib` and every library of this repository it depends on.",
    attrs = {
        "lib": attr.label(providers = [CcInfo], mandatory = True),
        "out": attr.output(mandatory = True),
        "_cc_toolchain": attr.label(default = "@bazel_tools//tools/cpp:current_cc_toolchain"),
    },
    toolchains = ["@bazel_tools//tools/cpp:toolchain_type"],
    incompatible_use_toolchain_transition = True,
)

def _txaio_dist_c_impl(ctx):
    # The static archive holds the C++ code too: its users also link what
    # that code needs, and the C++ runtime (Libs.private, for --static).
    _, link_flags, _ = _cc_flags([ctx.attr.library])
    shared = ctx.file.shared_library
    static = ctx.file.static_library
    if not shared.basename.startswith("lib") or ".so" not in shared.basename:
        fail("shared_library must be a lib<name>.so[.N] file, got " + shared.basename)
    name = shared.basename[len("lib"):shared.basename.index(".so")]
    pc = _pkg_config(ctx, ctx.attr.pc_name, {
        "@CFLAGS@": "-I${includedir}",
        "@LIBS@": "-L${libdir} -l" + name,
        "@LIBS_PRIVATE@": " ".join(link_flags + ["-lstdc++", "-lm"]),
    })
    out = ctx.actions.declare_directory(ctx.label.name)
    commands = [
        'mkdir -p "$out/lib/pkgconfig" "$out/include"',
        'install -m 0644 "%s" "$out/include/%s"' % (ctx.file.header.path, ctx.file.header.basename),
        'install -m 0755 "%s" "$out/lib/%s"' % (shared.path, shared.basename),
        'install -m 0644 "%s" "$out/lib/lib%s.a"' % (static.path, name),
        'cp "%s" "$out/lib/pkgconfig/%s.in"' % (pc.path, ctx.attr.pc_name),
    ]
    _assemble(ctx, out, [ctx.file.header, shared, static, pc], commands)
    return [DefaultInfo(files = depset([out]))]

txaio_dist_c = rule(
    implementation = _txaio_dist_c_impl,
    doc = "A C ABI install tree: include/<header>, lib/lib<name>.so.N, lib/lib<name>.a, lib/pkgconfig/<pc_name>.in.",
    attrs = dict(_COMMON_ATTRS, **{
        "header": attr.label(allow_single_file = [".h"], mandatory = True),
        "library": attr.label(
            providers = [CcInfo],
            mandatory = True,
            doc = "The cc_library of the C ABI, for the link flags of the static archive.",
        ),
        "shared_library": attr.label(allow_single_file = True, mandatory = True),
        "static_library": attr.label(allow_single_file = [".a"], mandatory = True),
    }),
)
