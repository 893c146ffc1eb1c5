"""A Python program in another Bazel workspace using txaio-cpp's txaio
package (a drop-in for upstream txaio) on asyncio."""
import asyncio
import os
import sys

import txaio


async def main():
    greeting = txaio.create_future()
    txaio.call_later(0.01, txaio.resolve, greeting, "hello from txaio-cpp")
    print(await greeting)


if __name__ == "__main__":
    # The package must be txaio-cpp's, not Debian's python3-txaio.
    origin = os.path.dirname(txaio.__file__)
    print("txaio from", origin)
    if not origin.endswith(os.path.join("bindings", "python", "txaio")):
        sys.exit("not txaio-cpp's txaio package")
    txaio.use_asyncio()
    asyncio.run(main())
