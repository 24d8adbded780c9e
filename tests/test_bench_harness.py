"""The C benchmark harness (bench/bench.c) builds and every subcommand runs briefly without a
crash, on every kernel set this machine has (issue 11 item 7: `peak`, `gemm`, `sweep` and `suite`
crashed on every AVX-512 machine). CI builds it (.ci/run) and passes LAMINA_BENCH_BIN; from a
source tree without it, the test builds it itself into build/bench-test (cmake). Times are
printed, never checked."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import lamina as tf

ROOT = Path(__file__).resolve().parent.parent


def _env():
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)   # (the sanitizer run preloads its runtimes for Python only)
    env["LAMINA_NUM_THREADS"] = "2"
    return env


@pytest.fixture(scope="module")
def bench():
    given = os.environ.get("LAMINA_BENCH_BIN")
    if given:
        return given
    if not (ROOT / "bench" / "CMakeLists.txt").exists() or not shutil.which("cmake"):
        if os.environ.get("CI"):
            pytest.fail("CI must build the harness and set LAMINA_BENCH_BIN (.ci/run)")
        pytest.skip("no source tree or no cmake: the harness is built and run in CI")
    build = ROOT / "build" / "bench-test"
    gen = ["-G", "Ninja"] if shutil.which("ninja") else []
    for cmd in (["cmake", "-S", str(ROOT), "-B", str(build), "-DLAMINA_BENCH=ON",
                 "-DCMAKE_BUILD_TYPE=Release", *gen],
                ["cmake", "--build", str(build), "--target", "lamina_bench", "-j", "2"]):
        r = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=900)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return str(build / "bench" / "lamina_bench")


def _run(bench, *args):
    r = subprocess.run([bench, "--reps", "1", *args], capture_output=True, text=True,
                       env=_env(), timeout=300)
    assert r.returncode == 0, f"lamina_bench {' '.join(args)}: exit {r.returncode}\n{r.stderr}"
    assert r.stdout.strip()
    return r.stdout


@pytest.mark.parametrize("isa", tf.isa_available())
def test_subcommands_run_on_every_isa(bench, isa):
    out = _run(bench, "--isa", isa, "peak")
    assert re.search(r"peak float32 FMA \((avx2|avx512)\)", out) or "nan" in out
    out = _run(bench, "--isa", isa, "gemm", "64", "48", "40")
    assert "gemm f32" in out and "GFLOP/s" in out
    assert "gemm f64" in _run(bench, "--isa", isa, "--f64", "--ta", "--tb", "gemm", "7", "9", "5")
    assert "GFLOP/s" in _run(bench, "--isa", isa, "sweep", "48", "48", "48")
    for kind, op in (("unary", "exp"), ("binary", "add"), ("reduce", "sum")):
        assert op in _run(bench, "--isa", isa, kind, op, "1000")
    assert "train step" in _run(bench, "--isa", isa, "train", "4")


def test_suite_and_thread_counts(bench):
    out = _run(bench, "--threads", "2", "suite")
    assert "peak float32 FMA" in out and "reduce" in out
    assert "peak" in _run(bench, "--threads", "1000", "peak")  # more than the pool allows


@pytest.mark.parametrize("args", [["gemm", "0", "1", "1"], ["--bogus"], ["unary", "exp"],
                                  ["--isa", "nosuchisa", "peak"]])
def test_bad_arguments_are_refused(bench, args):
    r = subprocess.run([bench, *args], capture_output=True, text=True, env=_env(), timeout=60)
    assert r.returncode == 2 and r.stderr
