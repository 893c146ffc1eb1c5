"""cc_link_inputs: what a compiler run outside Bazel needs to build against
C++ libraries, for tests that compile code at test time (docs snippets)."""

def _cc_link_inputs_impl(ctx):
    cc = cc_common.merge_cc_infos(cc_infos = [d[CcInfo] for d in ctx.attr.deps])
    lines = []
    libraries = []
    for flag in ctx.fragments.cpp.copts + ctx.fragments.cpp.cxxopts:
        lines.append("copt " + flag)
    for flag in ctx.fragments.cpp.linkopts:
        lines.append("linkopt " + flag)
    for define in cc.compilation_context.defines.to_list():
        lines.append("define " + define)
    for linker_input in cc.linking_context.linker_inputs.to_list():
        for library in linker_input.libraries:
            archive = library.static_library or library.pic_static_library
            if archive == None:
                continue
            libraries.append(archive)
            kind = "alwayslink" if library.alwayslink else "lib"
            lines.append(kind + " " + archive.short_path)
        for flag in linker_input.user_link_flags:
            lines.append("linkopt " + flag)
    manifest = ctx.actions.declare_file(ctx.label.name + ".txt")
    ctx.actions.write(manifest, "\n".join(lines) + "\n")
    runfiles = ctx.runfiles(
        files = [manifest] + libraries,
        transitive_files = cc.compilation_context.headers,
    )
    return [DefaultInfo(files = depset([manifest]), runfiles = runfiles)]

cc_link_inputs = rule(
    implementation = _cc_link_inputs_impl,
    doc = """Writes NAME.txt, one item a line: `copt F` and `linkopt F` (the
    configuration's and the libraries' flags), `define D`, and `lib P` /
    `alwayslink P` (static archives, runfiles paths, in link order); the
    archives and headers are its runfiles.""",
    attrs = {"deps": attr.label_list(providers = [CcInfo])},
    fragments = ["cpp"],
)
