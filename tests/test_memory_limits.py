"""A huge allocation must be a MemoryError, never the kernel's OOM killer (issue 11 item 10), and
sizes near the int64 limits must not overflow (item 11). The fuzzers run in a subprocess under
an address-space limit (RLIMIT_AS), so an allocation that would succeed by overcommit and then
take the machine's memory page by page fails at once instead. Under the sanitizer build (which
cannot run with RLIMIT_AS: its shadow memory is reserved up front) .ci/sanitize caps single
allocations with ASAN_OPTIONS=max_allocation_size_mb instead."""
import os
import resource
import subprocess
import sys
import textwrap

import pytest

LIMIT = 4 << 30   # bytes of address space: lamina, NumPy and Python need well under 1 GiB
SANITIZED = "asan" in os.environ.get("LD_PRELOAD", "")


def _limited():
    if not SANITIZED:
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def _run(code, timeout=600):
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                       text=True, timeout=timeout, preexec_fn=_limited,
                       cwd=os.path.dirname(os.path.abspath(__file__)))
    assert r.returncode == 0, f"exit {r.returncode} (-9: killed)\n{r.stdout[-2000:]}{r.stderr[-4000:]}"
    return r.stdout


@pytest.mark.parametrize("seed", range(3))
def test_fuzz_sizes_near_int64_limits(seed):
    calls = int(os.environ.get("LAMINA_FUZZ_STEPS", "1500"))
    out = _run(f"from fuzz.fuzz_huge import run; print(*run({seed}, {calls}))")
    ok, raised = map(int, out.split())
    assert ok > 0 and raised > 0


def test_junk_fuzzer_seed_that_was_oom_killed():
    # seed 103 reached a multi-gigabyte float64 detour through NumPy in tf.random
    calls = int(os.environ.get("LAMINA_FUZZ_STEPS", "1500")) * 2
    out = _run(f"from fuzz.fuzz_junk import run; print(*run(103, {calls}))")
    ok, raised = map(int, out.split())
    assert ok > 0 and raised > 0


def test_huge_allocations_are_memory_errors():
    out = _run("""
        import lamina as tf
        n = 1 << 33   # 32 GiB of float32: more than the limit (and than this machine)
        calls = [
            lambda: tf.zeros((n,)),
            lambda: tf.ones((n // 4, 4), dtype=tf.float64),
            lambda: tf.fill((n,), 2.0),
            lambda: tf.random.normal((n,)),
            lambda: tf.random.normal((n // 2, 2), mean=[1.0, 2.0]),
            lambda: tf.random.truncated_normal((n,), dtype=tf.float16),
            lambda: tf.random.uniform((n,), 0, 9, dtype=tf.int64),
            lambda: tf.one_hot(tf.zeros((1 << 17,), tf.int32), 1 << 17),
            lambda: tf.range(0, n, 1),
            lambda: tf.eye(1 << 17),
            lambda: tf.broadcast_to(tf.ones((1, 1 << 17)), (1 << 17, 1 << 17)) + 1.0,
            lambda: tf.concat([tf.ones((1, 1 << 17))] * 2, 0) @ tf.ones((1 << 17, 1 << 17)),
        ]
        for i, f in enumerate(calls):
            try:
                f()
            except MemoryError:
                continue
            raise AssertionError(f"call {i} did not raise MemoryError")
        print("ok")
    """)
    assert out.strip() == "ok"
