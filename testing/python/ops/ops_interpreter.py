"""Interprets a sequence of txaio operations on Twisted's task.Clock and
returns what a program could observe: which callbacks and errbacks ran, in
which order, with which value or failure, which timers fired, and which
operations raised (by exception type).

The same interpreter runs our package in the test's process and upstream
txaio (Debian's python3-txaio) in a worker process
(`python3 -I ops_interpreter.py --serve`: -I keeps this directory and the
test's sys.path out, so `import txaio` is upstream's), reading a JSON list
of sequences of operations per line and answering a JSON list of their logs
per line.

An operation is a list: [name, a, b] with small integers; indices past the
futures made so far are taken modulo their number (no future yet: skipped),
so every generated sequence means something. A gather()'s own future is
never resolved or rejected by hand: upstream then runs its completion
callback on the value given (a TypeError unless it is a list of pairs),
where ours delivers the value (docs/python.md lists the difference). A
batched call is cancelled only while pending: upstream's second cancel()
raises AttributeError, and a cancel() after the call ran raises ValueError
once a new bucket has the same deadline; ours does nothing (both listed). A
plain call_later's
handle is the reactor's own on both sides, so cancelling it after it ran or
twice raises the same.
"""

import json
import sys

DELAYS = [0.0, 0.5, 1.0, 1.5, 2.5]
ADVANCES = [0.0, 0.5, 1.0, 3.0]


def _describe(txaio, value):
    """A value as it can be compared across processes."""
    if isinstance(value, list):
        return [_describe(txaio, v) for v in value]
    if hasattr(value, 'value') and isinstance(getattr(value, 'value'),
                                               BaseException):
        return 'failure:' + type(value.value).__name__
    return repr(value)


def run(txaio, ops):
    from twisted.internet import task
    clock = task.Clock()
    txaio.use_twisted()
    txaio.config.loop = clock
    log = []
    futures = []
    batched = txaio.make_batched_timer(1.0)

    gathered = set()  # ids of gather() results
    laters = []  # what call_later returned
    batched_calls = []  # what batched.call_later returned
    done_batched = set()  # their indices, once run or cancelled

    def pick(a):
        return futures[a % len(futures)] if futures else None

    for step, (name, a, b) in enumerate(ops):
        f = pick(a)
        try:
            if name == 'new':
                futures.append(txaio.create_future())
            elif name == 'new_done':
                futures.append(txaio.create_future_success(b))
            elif name == 'new_failed':
                futures.append(
                    txaio.create_future_error(
                        txaio.create_failure(RuntimeError('e%d' % b))))
            elif name == 'cancel_later':
                if laters:
                    laters[a % len(laters)].cancel()
            elif name == 'cancel_batched':
                i = a % len(batched_calls) if batched_calls else None
                if i is not None and i not in done_batched:
                    done_batched.add(i)
                    batched_calls[i].cancel()
            elif f is None:
                continue
            elif name in ('resolve', 'reject') and id(f) in gathered:
                continue
            elif name == 'resolve':
                txaio.resolve(f, b)
            elif name == 'reject':
                txaio.reject(f, RuntimeError('e%d' % b))
            elif name == 'cancel':
                txaio.cancel(f)
            elif name == 'is_called':
                log.append(['is_called', a % len(futures), txaio.is_called(f)])
            elif name == 'callbacks':
                def callback(value, step=step, b=b):
                    log.append(['cb', step, _describe(txaio, value)])
                    return value if b % 2 else b

                def errback(fail, step=step, b=b):
                    log.append(['eb', step, txaio.failure_message(fail)])
                    return None if b % 2 else fail

                txaio.add_callbacks(f, callback, errback)
            elif name == 'gather':
                chosen = [pick(a + i) for i in range(b % 4)]
                futures.append(
                    txaio.gather(chosen, consume_exceptions=bool(b % 2)))
                gathered.add(id(futures[-1]))
            elif name == 'call_later':
                laters.append(txaio.call_later(
                    DELAYS[b % len(DELAYS)],
                    lambda step=step: log.append(['later', step])))
            elif name == 'batched':
                def ran(step=step, i=len(batched_calls)):
                    log.append(['batched', step])
                    done_batched.add(i)
                batched_calls.append(
                    batched.call_later(DELAYS[b % len(DELAYS)], ran))
            elif name == 'advance':
                clock.advance(ADVANCES[b % len(ADVANCES)])
                log.append(['now', clock.seconds()])
        except Exception as e:  # what raised is observable; its text is not compared
            log.append(['raised', step, type(e).__name__])
    return log


def quiet_twisted_log():
    """Sends Twisted's log nowhere: every sequence that leaves a failed
    Deferred unhandled would print it to stderr when collected (about
    1 KB a sequence), and no log text is compared."""
    from twisted.logger import globalLogBeginner
    globalLogBeginner.beginLoggingTo([lambda event: None],
                                     redirectStandardIO=False)


def serve():
    quiet_twisted_log()
    import txaio
    print(json.dumps(txaio.__file__), flush=True)
    for line in sys.stdin:
        print(json.dumps([run(txaio, ops) for ops in json.loads(line)]),
              flush=True)


if __name__ == '__main__':
    if sys.argv[1:] == ['--serve']:
        serve()
