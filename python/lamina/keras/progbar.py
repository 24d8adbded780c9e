"""tf.keras.utils.Progbar: the progress bar fit/evaluate/predict print, in tf.keras 2's format:

    4/4 [==============================] - 0s 2ms/step - loss: 0.6931 - accuracy: 0.5000

In a terminal (or a notebook) one line is redrawn in place with an ETA ("\\r" + the bar). Written
to a pipe or a log file it does not redraw: it writes whole lines, the final one of each bar plus,
for a long bar, one progress line after half a second and then one every 10 seconds, so a log
holds no control characters and stays short. (tf.keras 2 writes a backspace for every character
of the previous line before each redraw, even into files.)"""
import os
import sys
import time

import numpy as np

_FIRST_LOG_LINE = 0.5     # seconds before a non-terminal bar writes its first progress line
_LOG_LINE_EVERY = 10.0    # seconds between later progress lines


def _interactive():
    out = sys.stdout
    return bool((hasattr(out, "isatty") and out.isatty()) or "ipykernel" in sys.modules
                or "PYCHARM_HOSTED" in os.environ)


def _write(message):
    sys.stdout.write(message)
    sys.stdout.flush()


class Progbar:
    """Displays a progress bar.

    Args:
        target: total number of steps expected, None if unknown.
        width: progress bar width on screen.
        verbose: 0 (silent), 1 (the bar), 2 (one line when the bar finishes).
        stateful_metrics: names of metrics shown as given; the others are averaged over steps.
        interval: minimum time between redraws (seconds).
        unit_name: the unit of a step ("step" or "sample").
    """

    def __init__(self, target, width=30, verbose=1, interval=0.05, stateful_metrics=None,
                 unit_name="step"):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        self._dynamic_display = _interactive()
        self._total_width = 0
        self._seen_so_far = 0
        self._values = {}
        self._values_order = []
        self._start = time.time()
        self._last_update = 0
        self._next_log_line = self._start + _FIRST_LOG_LINE
        self._time_at_epoch_start = self._start
        self._time_at_epoch_end = None
        self._time_after_first_step = None

    def _update_stateful_metrics(self, stateful_metrics):
        self.stateful_metrics = self.stateful_metrics.union(stateful_metrics)

    def update(self, current, values=None, finalize=None):
        """Updates the bar to step `current`; `values` is a list of (name, value) pairs."""
        if finalize is None:
            finalize = False if self.target is None else current >= self.target
        for k, v in values or []:
            if k not in self._values_order:
                self._values_order.append(k)
            if k not in self.stateful_metrics:
                # a value counts for the steps it covers (at least one: when a bar without a
                # target is finalized at the count it already showed)
                base = max(current - self._seen_so_far, 1)
                if k not in self._values:
                    self._values[k] = [v * base, base]
                else:
                    self._values[k][0] += v * base
                    self._values[k][1] += base
            else:
                self._values[k] = [v, 1]
        self._seen_so_far = current

        now = time.time()
        info = f" - {now - self._start:.0f}s"
        if current == self.target:
            self._time_at_epoch_end = now
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            if not self._dynamic_display and not finalize:
                if now < self._next_log_line:
                    return
                self._next_log_line = now + _LOG_LINE_EVERY
            prev_total_width = self._total_width
            message = "\r" if self._dynamic_display else ""
            if self.target is not None:
                numdigits = int(np.log10(self.target)) + 1 if self.target > 0 else 1
                bar = ("%" + str(numdigits) + "d/%d [") % (current, self.target)
                prog = float(current) / self.target if self.target else 1.0
                prog_width = int(self.width * prog)
                if prog_width > 0:
                    bar += "=" * (prog_width - 1)
                    bar += ">" if current < self.target else "="
                bar += "." * (self.width - prog_width)
                bar += "]"
            else:
                bar = "%7d/Unknown" % current
            self._total_width = len(bar)
            message += bar
            time_per_unit = self._estimate_step_duration(current, now)
            if self.target is None or finalize:
                info += self._format_time(time_per_unit, self.unit_name)
            else:
                eta = time_per_unit * (self.target - current)
                if eta > 3600:
                    eta_format = "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
                elif eta > 60:
                    eta_format = "%d:%02d" % (eta // 60, eta % 60)
                else:
                    eta_format = "%ds" % eta
                info = f" - ETA: {eta_format}"
            info += self._format_values(abs_threshold=True)
            self._total_width += len(info)
            if self._dynamic_display and prev_total_width > self._total_width:
                info += " " * (prev_total_width - self._total_width)
            if finalize or not self._dynamic_display:
                info += "\n"
            _write(message + info)
        elif self.verbose == 2:
            if finalize:
                target = self.target if self.target else current
                numdigits = int(np.log10(target)) + 1 if target > 0 else 1
                info = ("%" + str(numdigits) + "d/%d") % (current, target) + info
                info += self._format_values(abs_threshold=False)
                if self._time_at_epoch_end:
                    time_per_epoch = self._time_at_epoch_end - self._time_at_epoch_start
                    avg_time_per_step = time_per_epoch / target if target else 0
                    self._time_at_epoch_start = now
                    self._time_at_epoch_end = None
                    info += " -" + self._format_time(time_per_epoch, "epoch")
                    info += " -" + self._format_time(avg_time_per_step, self.unit_name)
                    info += "\n"
                _write(info)
        self._last_update = now

    def _format_values(self, abs_threshold):
        # tf.keras 2 picks scientific notation for |avg| <= 1e-3 on the bar but for avg <= 1e-3
        # (so every negative value) on verbose=2 lines
        out = ""
        for k in self._values_order:
            total, count = self._values[k]
            avg = np.mean(total / max(1, count))
            small = abs(avg) <= 1e-3 if abs_threshold else avg <= 1e-3
            out += f" - {k}: {avg:.4e}" if small else f" - {k}: {avg:.4f}"
        return out

    def add(self, n, values=None):
        self.update(self._seen_so_far + n, values)

    def _format_time(self, time_per_unit, unit_name):
        if time_per_unit >= 1 or time_per_unit == 0:
            return f" {time_per_unit:.0f}s/{unit_name}"
        if time_per_unit >= 1e-3:
            return f" {time_per_unit * 1000.0:.0f}ms/{unit_name}"
        return f" {time_per_unit * 1000000.0:.0f}us/{unit_name}"

    def _estimate_step_duration(self, current, now):
        """Time per step, leaving out the first (slow, building) step once there are more."""
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            time_per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            time_per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return time_per_unit
