"""Repositories txaio-cpp needs, declared so that this workspace and its consumers build offline."""

def _declare_once(rule, name, **kwargs):
    # A consumer that already declared the repository keeps its own.
    if not native.existing_rule(name):
        rule(name = name, **kwargs)

def txaio_deps(txaio_path = None):
    """Declares the offline stand-ins Bazel 4.2.3 would otherwise download.

    Args:
      txaio_path: where this repository lives relative to the consumer's
        workspace root; None inside txaio-cpp itself.
    """
    prefix = (txaio_path + "/") if txaio_path else ""
    for name in ["rules_cc", "rules_java", "remote_coverage_tools"]:
        _declare_once(
            native.local_repository,
            name,
            path = prefix + "third_party/" + name,
        )
