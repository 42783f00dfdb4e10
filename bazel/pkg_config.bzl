"""A repository rule that turns pkg-config modules into cc_library targets.

Debian ships Abseil, RE2, GoogleTest and nlohmann-json as -dev packages with
static archives and .pc files, and nothing can be downloaded at build time. This
rule exposes those packages under the repository names and labels that the
upstream projects use in WORKSPACE builds (@com_google_absl//absl/strings, ...),
so that code written against upstream builds here unchanged, and a project that
already pulls the upstream sources can use our libraries without this rule.

For every module it follows `Requires:` (pkg-config's own dependency graph) and
makes one cc_library per module that links the module's own static archive and
depends on the libraries of the modules it requires. Bazel then orders the
archives on the link line from dependents to dependencies, which is what a
static link needs. Most headers live in /usr/include, which the compiler
searches already; a module whose Cflags add a directory of their own (libxml2:
/usr/include/libxml2) gets it linked into the repository and put on the
include path of everything that depends on the module.
"""

# Parts of glibc that .pc files still name: -lpthread and friends stay
# dynamic (their .a files are empty stubs since glibc 2.34).
_LIBC_PARTS = ["c", "dl", "m", "pthread", "rt"]

def _pc(ctx, args):
    result = ctx.execute(["pkg-config"] + args)
    if result.return_code != 0:
        fail("pkg-config %s failed: %s" % (" ".join(args), result.stderr))
    return result.stdout.strip()

def _requires(ctx, module):
    """The modules that `module` lists in Requires (names only)."""
    out = _pc(ctx, ["--print-requires", module])
    names = []
    for line in out.splitlines():
        name = line.strip().split(" ")[0]
        if name:
            names.append(name)
    return names

def _own_libs(ctx, module):
    """-l names and other link flags from the module's own Libs line.

    `pkg-config --libs` flattens the whole dependency closure, so read the
    module's own .pc file instead and let pkg-config expand its variables.
    """
    pcfile = "%s/%s.pc" % (_pc(ctx, ["--variable=pcfiledir", module]), module)
    libs_line = ""
    for line in ctx.read(pcfile).splitlines():
        if line.startswith("Libs:"):
            libs_line = line[len("Libs:"):]
    libdir = _pc(ctx, ["--variable=libdir", module])
    libdirs = [libdir]
    names = []
    flags = []
    for word in libs_line.replace("${libdir}", libdir).split(" "):
        if not word:
            continue
        if word.startswith("-L"):
            libdirs.append(word[2:])
        elif word.startswith("-l"):
            names.append(word[2:])
        else:
            flags.append(word)
    return libdirs, names, flags

def _defines(ctx, module):
    return [
        word[2:]
        for word in _pc(ctx, ["--cflags-only-other", module]).split(" ")
        if word.startswith("-D") and word != "-DNOMINMAX"
    ]

def _include_dirs(ctx, module):
    """The module's -I directories other than the compiler's own /usr/include."""
    return [
        word[2:]
        for word in _pc(ctx, ["--cflags-only-I", module]).split(" ")
        if word.startswith("-I") and word[2:].rstrip("/") != "/usr/include"
    ]

def _pkg_config_repository_impl(ctx):
    # Walk the Requires graph from the requested modules.
    pending = sorted({m: True for m in ctx.attr.targets.values()}.keys())
    seen = {}

    # Starlark has no while loop; the graph is far smaller than this bound.
    for _ in range(10000):
        if not pending:
            break
        module = pending.pop()
        if module in seen:
            continue
        seen[module] = _requires(ctx, module)
        pending.extend([m for m in seen[module] if m not in seen])
    if pending:
        fail("pkg-config dependency graph of %s is too large" % ctx.name)

    rules = []
    linked = {}
    for module in sorted(seen.keys()):
        libdirs, names, flags = _own_libs(ctx, module)
        srcs = []
        linkopts = list(flags)
        for name in names:
            archive = None
            for d in libdirs:
                candidate = ctx.path("%s/lib%s.a" % (d, name))
                if candidate.exists:
                    archive = candidate
                    break
            if archive and name not in _LIBC_PARTS and name not in ctx.attr.dynamic:
                local = "lib/lib%s.a" % name  # in package //pkgconfig
                if local not in linked:
                    ctx.symlink(archive, "pkgconfig/" + local)
                    linked[local] = True
                srcs.append(local)
            else:
                # System libraries (-lpthread, -lrt) and anything without a
                # static archive link dynamically.
                linkopts.append("-l" + name)

        # Bazel takes include paths relative to the repository only.
        includes = []
        hdrs = []
        for i, d in enumerate(_include_dirs(ctx, module)):
            local = "include/%s/%d" % (module, i)
            ctx.symlink(d, "pkgconfig/" + local)
            includes.append(local)
            hdrs.append(local + "/**")
        rules.append("""cc_library(
    name = {name},
    srcs = {srcs},
    hdrs = glob({hdrs}),
    includes = {includes},
    defines = {defines},
    linkopts = {linkopts},
    linkstatic = True,
    deps = {deps},
)
""".format(
            name = repr(module),
            srcs = repr(srcs),
            hdrs = repr(hdrs),
            includes = repr(includes),
            defines = repr(_defines(ctx, module)),
            linkopts = repr(linkopts),
            deps = repr([":" + m for m in seen[module]]),
        ))
    ctx.file("pkgconfig/BUILD.bazel", "\n".join([
        "# Generated from pkg-config by @%s//bazel:pkg_config.bzl." % ctx.attr.generator,
        'package(default_visibility = ["//visibility:public"])',
        "",
    ] + rules))

    # Upstream labels, grouped by package, as aliases of the modules.
    packages = {}
    for label, module in ctx.attr.targets.items():
        package, _, name = label.partition(":")
        if not name:
            name = package.split("/")[-1]
        packages.setdefault(package, []).append(
            'alias(name = "%s", actual = "//pkgconfig:%s")' % (name, module),
        )
    for package, aliases in packages.items():
        path = (package + "/BUILD.bazel") if package else "BUILD.bazel"
        ctx.file(path, "\n".join([
            'package(default_visibility = ["//visibility:public"])',
            "",
        ] + sorted(aliases)) + "\n")
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)

pkg_config_repository = repository_rule(
    implementation = _pkg_config_repository_impl,
    attrs = {
        "targets": attr.string_dict(
            mandatory = True,
            doc = "Upstream label within the repository ('absl/status:statusor', " +
                  "':gtest' for the root package) -> pkg-config module.",
        ),
        "dynamic": attr.string_list(
            doc = "Libraries to link dynamically even where a static archive exists.",
        ),
        "generator": attr.string(default = "ssh_socket_proxy"),
    },
    local = True,
    doc = "Exposes Debian's pkg-config modules under upstream Bazel labels.",
)
