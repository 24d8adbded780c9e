"""keras.utils.Progbar against tf.keras 2: the exact text of the bar (verbose=1, as a terminal gets
it) and of the one-line summary (verbose=2), with a fake clock; and the log-file form (no
redraws). TF_TEXT is tf_keras 2.21's Progbar output for the same updates, with its backspaces
removed (lamina redraws with a carriage return alone)."""
import io
import sys
import types

import pytest

from lamina.keras import progbar as P
from lamina.keras.utils import Progbar

# name -> (target, [(current, seconds since the previous update, values)], stateful metrics)
CASES = {
    "basic": (4, [(1, 0.7, [("loss", 0.6931), ("accuracy", 0.5)]),
                  (2, 0.01, [("loss", 0.5), ("accuracy", 0.75)]),
                  (3, 0.01, [("loss", 0.4), ("accuracy", 1.0)]),
                  (4, 0.01, [("loss", 0.3), ("accuracy", 1.0)])], None),
    "small_vals": (3, [(1, 0.002, [("loss", 0.0005)]), (2, 0.002, [("loss", -0.0001)]),
                       (3, 0.002, [("loss", 0.00002)])], None),
    "long_eta": (1000, [(1, 5.0, [("loss", 1.0)]), (2, 4.0, [("loss", 1.0)]),
                        (3, 4.0, [("loss", 1.0)]), (1000, 4000.0, [("loss", 1.0)])], None),
    "mid_eta": (100, [(1, 2.0, [("loss", 2.5)]), (2, 1.5, [("loss", 2.0)]),
                      (100, 150.0, [("loss", 1.5)])], None),
    "unknown": (None, [(1, 0.3, [("loss", 1.0)]), (2, 0.3, [("loss", 3.0)])], None),
    "stateful": (2, [(1, 0.1, [("loss", 1.0), ("acc", 0.25)]),
                     (2, 0.1, [("loss", 3.0), ("acc", 0.5)])], ["acc"]),
    "none": (3, [(1, 0.1, []), (3, 0.2, [])], None),
    "wide": (12345, [(7, 0.5, [("loss", 12.3456)]), (12345, 0.5, [("loss", 12.3456)])], None),
}

TF_TEXT = {
    'basic-1': '\r1/4 [======>.......................] - ETA: 2s - loss: 0.6931 - accuracy: 0.5000\r4/4 [==============================] - 1s 10ms/step - loss: 0.4733 - accuracy: 0.8125\n',
    'basic-2': '4/4 - 1s - loss: 0.4733 - accuracy: 0.8125 - 730ms/epoch - 183ms/step\n',
    'small_vals-1': '\r1/3 [=========>....................] - ETA: 0s - loss: 5.0000e-04\r3/3 [==============================] - 0s 2ms/step - loss: 1.4000e-04\n',
    'small_vals-2': '3/3 - 0s - loss: 1.4000e-04 - 6ms/epoch - 2ms/step\n',
    'long_eta-1': '\r   1/1000 [..............................] - ETA: 1:23:15 - loss: 1.0000\r   2/1000 [..............................] - ETA: 1:06:32 - loss: 1.0000\r   3/1000 [..............................] - ETA: 1:06:28 - loss: 1.0000\r1000/1000 [==============================] - 4013s 4s/step - loss: 1.0000\n',
    'long_eta-2': '1000/1000 - 4013s - loss: 1.0000 - 4013s/epoch - 4s/step\n',
    'mid_eta-1': '\r  1/100 [..............................] - ETA: 3:18 - loss: 2.5000\r  2/100 [..............................] - ETA: 2:27 - loss: 2.2500\r100/100 [==============================] - 154s 2s/step - loss: 1.5150\n',
    'mid_eta-2': '100/100 - 154s - loss: 1.5150 - 154s/epoch - 2s/step\n',
    'unknown-1': '\r      1/Unknown - 0s 300ms/step - loss: 1.0000\r      2/Unknown - 1s 300ms/step - loss: 2.0000\r2/2 [==============================] - 1s 300ms/step - loss: 2.0000\n',
    'unknown-2': '2/2 - 1s - loss: 2.0000 - 600ms/epoch - 300ms/step\n',
    'stateful-1': '\r1/2 [==============>...............] - ETA: 0s - loss: 1.0000 - acc: 0.2500\r2/2 [==============================] - 0s 100ms/step - loss: 2.0000 - acc: 0.5000\n',
    'stateful-2': '2/2 - 0s - loss: 2.0000 - acc: 0.5000 - 200ms/epoch - 100ms/step\n',
    'none-1': '\r1/3 [=========>....................] - ETA: 0s\r3/3 [==============================] - 0s 100ms/step\n',
    'none-2': '3/3 - 0s - 300ms/epoch - 100ms/step\n',
    'wide-1': '\r    7/12345 [..............................] - ETA: 14:41 - loss: 12.3456\r12345/12345 [==============================] - 1s 81us/step - loss: 12.3456\n',
    'wide-2': '12345/12345 - 1s - loss: 12.3456 - 1s/epoch - 81us/step\n',
}


class FakeTime:
    def __init__(self):
        self.now = 1000.0

    def time(self):
        return self.now


def run(name, verbose, dynamic, monkeypatch):
    clock = FakeTime()
    monkeypatch.setattr(P, "time", clock)
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    target, steps, stateful = CASES[name]
    bar = Progbar(target, verbose=verbose, stateful_metrics=stateful)
    bar._dynamic_display = dynamic
    for current, dt, vals in steps:
        clock.now += dt
        bar.update(current, vals)
    if target is None:
        bar.target = steps[-1][0]
        bar.update(bar.target, [], finalize=True)
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("verbose", [1, 2])
def test_terminal_text_is_tf_keras_text(name, verbose, monkeypatch):
    assert run(name, verbose, True, monkeypatch) == TF_TEXT[f"{name}-{verbose}"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_log_file_text_is_whole_lines_without_control_characters(name, monkeypatch):
    text = run(name, 1, False, monkeypatch)
    assert "\r" not in text and "\b" not in text and text.endswith("\n")
    # the last line is the terminal's final line
    assert text.splitlines()[-1] == TF_TEXT[f"{name}-1"].split("\r")[-1].rstrip("\n").rstrip()
    # a short bar (under half a second) writes only its final line
    target, steps, _ = CASES[name]
    if sum(dt for _, dt, _ in steps) < P._FIRST_LOG_LINE:
        assert text.count("\n") == 1


def test_log_file_progress_lines_are_rate_limited(monkeypatch):
    # steps of 5 s: a first line after half a second, then one per 10 s at most
    text = run("long_eta", 1, False, monkeypatch)
    assert text.splitlines() == [
        "   1/1000 [..............................] - ETA: 1:23:15 - loss: 1.0000",
        "1000/1000 [==============================] - 4013s 4s/step - loss: 1.0000"]


def test_verbose_0_prints_nothing(monkeypatch):
    assert run("basic", 0, True, monkeypatch) == ""


def test_terminal_detection_follows_stdout(monkeypatch):
    tty = types.SimpleNamespace(isatty=lambda: True, write=lambda s: None, flush=lambda: None)
    monkeypatch.setattr(sys, "stdout", tty)
    assert Progbar(3)._dynamic_display
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert not Progbar(3)._dynamic_display


def test_add_and_shorter_redraw_pads_with_spaces(monkeypatch):
    clock = FakeTime()
    monkeypatch.setattr(P, "time", clock)
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    bar = Progbar(10)
    bar._dynamic_display = True
    clock.now += 1
    bar.add(1, [("a_long_metric_name", 1.0)])
    clock.now += 1
    bar.update(2, [])
    first, second = out.getvalue().split("\r")[1:]
    assert len(second) == len(first) and second.rstrip().endswith("a_long_metric_name: 1.0000")
