"""Call-stack scenarios run in a subprocess (any CPython 3.10+, no test
dependencies): ``python stack_scenarios.py MODULE.wasm {main|256}``.

Prints one ``name: outcome`` line per scenario; a crash shows as a missing
line and a non-zero exit status. Used by test_callstack.py on every
installed CPython version, on the main thread and in a thread with a
256 KiB stack.
"""

from __future__ import annotations

import sys
import threading

from wasmzero import Runtime, RuntimeConfig, Trap, i32


def outcome(call: object) -> str:
    try:
        return f"ok {call()}"  # type: ignore[operator]
    except Trap as e:
        return f"trap {e.kind.name}"
    except RecursionError:
        return "RecursionError"


def scenarios(data: bytes) -> None:
    for engine in ("compiler", "interpreter"):
        run_engine(engine, data)


def run_engine(engine: str, data: bytes) -> None:
    rt = Runtime(RuntimeConfig(engine=engine))
    holder: dict = {}

    def cb(x: i32) -> i32:
        return holder["rec"](x)

    def own(x: i32) -> i32:
        def forever(n: int) -> int:
            return forever(n + 1) + 1

        return forever(x)

    rt.host_module("env").function("cb", cb).function("own", own).instantiate()
    mod = rt.instantiate(data)
    holder["rec"] = mod.exported_function("rec")
    f = mod.exported_function
    results = {
        "down 10000": outcome(lambda: f("down")(10_000)),
        "down5 3000": outcome(lambda: f("down5")(3000, 1, 2, 3, 4)),
        "forever": outcome(lambda: f("forever")(1)),
        "forever5": outcome(lambda: f("forever5")(1, 2, 3, 4, 5)),
        "host round trips 50": outcome(lambda: f("rec")(50)),
        "host round trips forever": outcome(lambda: f("rec")(-1)),
        "host's own recursion": outcome(lambda: f("call_own")(1)),
        "after": outcome(lambda: f("down")(100)),
    }
    # The caller's own recursion limit high (3.10: its frames use the C
    # stack too, so the call needs a bigger stack than the thread's).
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)
    results["high limit forever"] = outcome(lambda: f("forever")(1))
    results["high limit host round trips forever"] = outcome(lambda: f("rec")(-1))
    sys.setrecursionlimit(old)
    for name, out in results.items():
        print(f"{engine} {name}: {out}", flush=True)
    rt.close()


def main() -> None:
    data = open(sys.argv[1], "rb").read()
    if sys.argv[2] == "main":
        scenarios(data)
    else:
        threading.stack_size(int(sys.argv[2]) * 1024)
        t = threading.Thread(target=scenarios, args=(data,))
        t.start()
        t.join()
    print("done", flush=True)


if __name__ == "__main__":
    main()
