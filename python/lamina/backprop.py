"""tf.GradientTape on lamina's C tape.

The C tape (csrc/autodiff/) records ops and runs the backward walk; this module adds what involves
Python objects: variables (watched when read, through lamina._tape_hooks), nested structures of
targets and sources, output_gradients, unconnected gradients and jacobians.
"""
import enum

from lamina import _core, _tape_hooks
from lamina.nest import flatten as _flatten, _pack
from lamina._core import Tensor, convert_to_tensor


class UnconnectedGradients(enum.Enum):
    """What gradient() gives for a source the target does not depend on."""
    NONE = "none"
    ZERO = "zero"


def _unconnected_mode(value):
    try:
        return UnconnectedGradients(value)
    except ValueError:
        raise ValueError(f"Unknown value for unconnected_gradients: {value!r}") from None


def _is_variable(x):
    return hasattr(x, "__lamina_tensor__") and hasattr(x, "trainable") and hasattr(x, "assign")


class GradientTape:
    """Records operations for automatic differentiation (tf.GradientTape).

    Operations run inside `with GradientTape() as tape:` are recorded when one of their inputs is
    watched: a tensor passed to `watch()`, a trainable variable read in the context (unless
    watch_accessed_variables=False), or the result of a recorded op. `tape.gradient(target,
    sources)` then gives d(sum(target))/d(source). A non-persistent tape gives one set of
    gradients; `persistent=True` allows several. Tapes are per thread and nest: an outer tape
    records the gradient computation of an inner one, which gives higher derivatives.
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._persistent = bool(persistent)
        self._watch_accessed_variables = bool(watch_accessed_variables)
        self._tape = _core._Tape(self._persistent)
        self._used = False
        self._variables = {}   # id(var) -> var
        self._reads = {}       # id(var) -> tensors read from it while watched
        self._explicit = set()  # id(var) of variables passed to watch()
        self._customs = []      # custom-gradient nodes recorded on this tape (custom_gradient.py)

    # Recording and paused are the C tape's flags, read where they live (no Python copy).
    @property
    def _recording(self):
        """Entered and not exited: the C tape is on this thread's stack."""
        return self._tape is not None and self._tape.active

    @property
    def _paused(self):
        """Inside stop_recording() (or a custom_gradient body)."""
        return self._tape is not None and self._tape.paused

    # ---- context ---------------------------------------------------------------------------
    def __enter__(self):
        self._push()
        return self

    def __exit__(self, typ, value, traceback):
        if self._recording:
            self._pop()

    def _push(self):
        if self._recording:
            raise ValueError("Tape is still recording, This can happen if you try to re-enter "
                             "an already-active tape.")
        self._live_tape().push()  # a used non-persistent tape entered again records afresh
        _tape_hooks.active_tapes().append(self)

    def _pop(self):
        self._tape.pop()
        tapes = _tape_hooks.active_tapes()
        if self in tapes:
            tapes.remove(self)

    # ---- watching ----------------------------------------------------------------------------
    def watch(self, tensor):
        """Ensure `tensor` (a tensor, a variable, or a nested structure of them) is traced."""
        for t in _flatten(tensor):
            if _is_variable(t):
                self._explicit.add(id(t))
                self._watch_variable(t, convert_to_tensor(t))
            elif type(t) is Tensor:
                self._live_tape().watch(t)
            else:
                raise ValueError(f"GradientTape.watch: expected a Tensor or a Variable, got "
                                 f"{type(t).__name__}: {t!r}")

    def _live_tape(self):
        """The C tape, a fresh one when a non-persistent tape gave its gradients."""
        if self._tape is None:
            self._tape = _core._Tape(self._persistent)
            self._used = False
        return self._tape

    def _watch_variable(self, var, tensor):
        key = id(var)
        if key not in self._variables:
            self._variables[key] = var
            self._reads[key] = []
        reads = self._reads[key]
        if not any(r is tensor for r in reads):
            reads.append(tensor)
        self._live_tape().watch(tensor)

    def _variable_accessed(self, var, tensor):
        """Called (through lamina._tape_hooks) whenever a variable is read on this thread."""
        if self._recording and not self._paused and self._watches(var):
            self._watch_variable(var, tensor)

    def _watches(self, var):
        """Whether reading `var` makes this tape watch it: a trainable variable when
        watch_accessed_variables, or one passed to watch()."""
        return (self._watch_accessed_variables and getattr(var, "trainable", False)) or \
            id(var) in self._explicit

    def watched_variables(self):
        """The variables this tape has watched, in the order they were created (as tf)."""
        return tuple(sorted(self._variables.values(), key=lambda v: getattr(v, "_unique_id", 0)))

    def stop_recording(self):
        """A context in which operations are not recorded."""
        return _StopRecording(self)

    def reset(self):
        """Forget everything recorded, as if exiting and entering a new tape."""
        recording = self._recording
        if recording:
            self._pop()
        self._tape = _core._Tape(self._persistent)
        self._used = False
        self._variables.clear()
        self._reads.clear()
        self._explicit.clear()
        self._customs.clear()
        if recording:
            self._push()

    # ---- gradients ---------------------------------------------------------------------------
    def _check_usable(self):
        if self._tape is None or self._used:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one "
                               "set of gradients (or jacobians): GradientTape.gradient can only "
                               "be called once on non-persistent tapes; create the tape with "
                               "persistent=True to call it more than once")
        if self._recording and not self._persistent:
            # tf: gradient() inside a non-persistent tape's context stops its recording
            self._pop()

    def _finish(self):
        """After a set of gradients: a non-persistent tape lets go of everything it recorded."""
        if not self._persistent:
            self._tape = None
            self._used = True
            self._customs = []

    def _source_tensors(self, flat_sources):
        """Each source as a list of tensors whose gradients sum to its own."""
        groups = []
        for s in flat_sources:
            if _is_variable(s):
                groups.append(list(self._reads.get(id(s), ())))
            elif type(s) is Tensor:
                groups.append([s])
            else:
                raise ValueError(f"GradientTape.gradient: sources must be Tensors or Variables, "
                                 f"got {type(s).__name__}: {s!r}")
        return groups

    def _run(self, flat_targets, seeds, groups, flat_sources):
        """The gradient of each source (None when unconnected). Without custom gradients this is
        one walk of the C tape; see _run_custom for the others."""
        flat = [t for g in groups for t in g]
        if self._customs:
            grads, var_extra = self._run_custom(flat_targets, seeds, flat)
        else:
            grads, var_extra = self._tape.gradient(flat_targets, seeds, flat), {}
        out, k = [], 0
        for g, src in zip(groups, flat_sources):
            total = var_extra.get(id(src)) if _is_variable(src) else None
            for gi in grads[k:k + len(g)]:
                if gi is not None:
                    total = gi if total is None else _core.add(total, gi)
            out.append(total)
            k += len(g)
        return out

    def _run_custom(self, flat_targets, seeds, flat):
        """Walks with custom-gradient nodes (lamina.custom_gradient). Their outputs are leaves of
        the C tape: one walk gives the sources' gradients and the gradients reaching those
        outputs; then, latest node first, each node's grad_fn turns its output gradients into
        input gradients, and a walk from its inputs carries them on to the sources and to the
        outputs of earlier nodes. The tape keeps its nodes until the last walk."""
        customs = self._customs
        outs = [o for c in customs for o in c.outputs]
        starts, n = [], 0
        for c in customs:
            starts.append(n)
            n += len(c.outputs)
        self._tape.set_persistent(True)
        try:
            grads = self._tape.gradient(flat_targets, seeds, flat + outs)
            src, pend = grads[:len(flat)], grads[len(flat):]
            var_extra = {}
            for ci in range(len(customs) - 1, -1, -1):
                c, lo = customs[ci], starts[ci]
                dys = pend[lo:lo + len(c.outputs)]
                if all(d is None for d in dys):
                    continue
                dys = [_core.zeros_like(o) if d is None else d for d, o in zip(dys, c.outputs)]
                in_grads, var_grads = c.call_grad_fn(dys)
                for v, g in zip(c.variables, var_grads):
                    if g is not None:
                        g = convert_to_tensor(g)
                        var_extra[id(v)] = g if id(v) not in var_extra else _core.add(var_extra[id(v)], g)
                pairs = [(x, g) for x, g in zip(c.inputs, in_grads)
                         if g is not None and x.dtype.is_floating]
                if not pairs:
                    continue
                more = self._tape.gradient([x for x, _ in pairs], [g for _, g in pairs],
                                           flat + outs[:lo])
                for i, g in enumerate(more):
                    if g is None:
                        continue
                    if i < len(flat):
                        src[i] = g if src[i] is None else _core.add(src[i], g)
                    else:
                        j = i - len(flat)
                        pend[j] = g if pend[j] is None else _core.add(pend[j], g)
            return src, var_extra
        finally:
            self._tape.set_persistent(self._persistent)

    @staticmethod
    def _fill_unconnected(grads, flat_sources, unconnected_gradients):
        mode = _unconnected_mode(unconnected_gradients)
        if mode is UnconnectedGradients.NONE:
            return grads
        return [g if g is not None else _core.zeros(tuple(s.shape), dtype=s.dtype)
                for g, s in zip(grads, flat_sources)]

    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """d(sum(target)) / d(source) for every source, in the structure of `sources`.

        target: a tensor or a nested structure of tensors (their gradients add up).
        output_gradients: None, or one gradient per target (the same structure and shapes),
        used instead of ones. Sources the target does not depend on give None, or zeros with
        unconnected_gradients=UnconnectedGradients.ZERO.
        """
        _unconnected_mode(unconnected_gradients)  # validate before using the tape
        self._check_usable()
        flat_targets = [convert_to_tensor(t) for t in _flatten(target)]
        if output_gradients is None:
            seeds = [None] * len(flat_targets)
        else:
            seeds = _flatten(output_gradients)
            if len(seeds) != len(flat_targets):
                raise ValueError(f"GradientTape.gradient: {len(flat_targets)} targets but "
                                 f"{len(seeds)} output_gradients")
            seeds = [None if s is None else convert_to_tensor(s, dtype=t.dtype)
                     for s, t in zip(seeds, flat_targets)]
        flat_sources = _flatten(sources)
        grads = self._run(flat_targets, seeds, self._source_tensors(flat_sources), flat_sources)
        self._finish()
        grads = self._fill_unconnected(grads, flat_sources, unconnected_gradients)
        return _pack(sources, iter(grads))

    def _check_jacobian_persistence(self, what, use_pfor):
        # tf computes a jacobian in one vectorised pass (pfor); without it, it walks the tape once
        # per element and needs a persistent tape. lamina always walks once per element, but keeps
        # tf's rule so that code behaves the same on both.
        if not use_pfor and not self._persistent:
            raise RuntimeError(f"GradientTape.{what}: with experimental_use_pfor=False the tape "
                               f"must be created with persistent=True")

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """The Jacobian of `target` with respect to each source: for a source of shape S and a
        target of shape T, a tensor of shape T + S (one backward pass per target element)."""
        _unconnected_mode(unconnected_gradients)
        self._check_jacobian_persistence("jacobian", experimental_use_pfor)
        self._check_usable()
        t = convert_to_tensor(target)
        flat_sources = _flatten(sources)
        groups = self._source_tensors(flat_sources)
        n = int(t.shape.num_elements())
        tshape = tuple(t.shape)
        self._tape.set_persistent(True)
        try:
            rows = []
            for i in range(n):
                seed = _core.reshape(_core.one_hot(i, n, dtype=t.dtype), tshape)
                rows.append(self._run([t], [seed], groups, flat_sources))
        finally:
            self._tape.set_persistent(self._persistent)
        self._finish()
        out = []
        for j, s in enumerate(flat_sources):
            sshape = tuple(s.shape)
            col = [r[j] for r in rows]
            if n == 0:
                out.append(_core.zeros(tshape + sshape, dtype=s.dtype))
                continue
            if all(g is None for g in col):
                if _unconnected_mode(unconnected_gradients) is UnconnectedGradients.ZERO:
                    out.append(_core.zeros(tshape + sshape, dtype=s.dtype))
                else:
                    out.append(None)
                continue
            col = [g if g is not None else _core.zeros(sshape, dtype=s.dtype) for g in col]
            stacked = _core.stack(col) if col else _core.zeros((0,) + sshape, dtype=s.dtype)
            out.append(_core.reshape(stacked, tshape + sshape))
        return _pack(sources, iter(out))

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """Per-example Jacobians: target (B, T...) and source (B, S...), where row b of the
        target depends only on row b of the source, give a tensor of shape (B, T..., S...)
        (one backward pass per element of T)."""
        mode = _unconnected_mode(unconnected_gradients)
        self._check_jacobian_persistence("batch_jacobian", experimental_use_pfor)
        self._check_usable()
        t = convert_to_tensor(target)
        sshape = tuple(source.shape)
        if t.ndim < 2:
            raise ValueError(f"batch_jacobian: the target must have rank at least 2, got shape "
                             f"{tuple(t.shape)}")
        if len(sshape) < 2:
            raise ValueError(f"batch_jacobian: the source must have rank at least 2, got shape "
                             f"{sshape}")
        if t.shape[0] != sshape[0]:
            raise ValueError(f"batch_jacobian: Need first dimension of target shape "
                             f"{tuple(t.shape)} and source shape {sshape} to match")
        batch, tshape = sshape[0], tuple(t.shape)[1:]
        n = 1
        for d in tshape:
            n *= d
        groups, sources = self._source_tensors([source]), [source]
        self._tape.set_persistent(True)
        try:
            rows = []
            for j in range(n):
                seed = _core.broadcast_to(_core.reshape(_core.one_hot(j, n, dtype=t.dtype), (1, n)),
                                          (batch, n))
                rows.append(self._run([t], [_core.reshape(seed, (batch,) + tshape)], groups, sources)[0])
        finally:
            self._tape.set_persistent(self._persistent)
        self._finish()
        if n and all(r is None for r in rows):
            if mode is UnconnectedGradients.ZERO:
                return _core.zeros((batch,) + tshape + sshape[1:], dtype=source.dtype)
            return None
        rows = [r if r is not None else _core.zeros(sshape, dtype=source.dtype) for r in rows]
        stacked = _core.stack(rows, axis=1) if rows else _core.zeros((batch, 0) + sshape[1:], dtype=source.dtype)
        return _core.reshape(stacked, (batch,) + tshape + sshape[1:])


class _StopRecording:
    def __init__(self, tape):
        self._tape = tape

    def __enter__(self):
        if not self._tape._recording or self._tape._paused:
            raise RuntimeError("Tape is not recording.")
        self._tape._tape.pause(True)

    def __exit__(self, typ, value, traceback):
        if self._tape._tape is not None:
            self._tape._tape.pause(False)
