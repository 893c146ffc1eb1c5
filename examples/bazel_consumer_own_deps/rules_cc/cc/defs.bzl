"""The consumer's own rules_cc: the native rules, plus a symbol txaio's stand-in lacks."""

cc_binary = native.cc_binary
cc_library = native.cc_library
cc_test = native.cc_test
cc_import = native.cc_import
cc_proto_library = native.cc_proto_library
cc_toolchain = native.cc_toolchain
cc_toolchain_suite = native.cc_toolchain_suite
objc_library = native.objc_library

# BUILD loads this: if txaio_deps() had replaced this repository with its own
# stand-in, loading it would fail.
OWNER = "bazel_consumer_own_deps"
