"""conformance_test: the conformance suite linked with one registered backend."""

def conformance_test(name, loop, deps, tags = ["asan", "tsan"], **kwargs):
    """Runs //testing/conformance on the backend registered as `loop`.

    Args:
      name: the test's name.
      loop: the backend's registered name (txaio::make_loop).
      deps: the backend's library (alwayslink, so its registration is linked).
      tags: test tags; "asan"/"tsan" put it in tools/test.sh's sanitizer runs.
      **kwargs: passed to cc_test.
    """
    native.cc_test(
        name = name,
        size = kwargs.pop("size", "small"),
        args = ["--loop=" + loop],
        tags = tags,
        deps = deps + ["//testing/conformance:registered_main"],
        **kwargs
    )
