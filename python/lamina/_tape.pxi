# The gradient tape (included by _core.pyx): a thin owner of the C tape (csrc/autodiff/). The
# semantics that involve Python objects (variables, nested structures, unconnected gradients)
# live in lamina/backprop.py.

cdef extern from "lamina/lamina.h" nogil:
    ctypedef struct lm_tape:
        pass
    lm_status lm_tape_new(int persistent, lm_tape **out)
    void lm_tape_free(lm_tape *tape)
    lm_status lm_tape_push(lm_tape *tape)
    lm_status lm_tape_pop(lm_tape *tape)
    void lm_tape_pause(lm_tape *tape, int paused)
    int lm_tape_active(const lm_tape *tape)
    int lm_tape_paused(const lm_tape *tape)
    void lm_tape_set_persistent(lm_tape *tape, int persistent)
    lm_status lm_tape_watch(lm_tape *tape, const lm_tensor *x)
    int lm_tape_tracks(const lm_tape *tape, const lm_tensor *x)
    void lm_tape_reset(lm_tape *tape)
    int64_t lm_tape_num_nodes(const lm_tape *tape)
    lm_status lm_tape_gradient(lm_tape *tape, int ntargets, const lm_tensor *const *targets,
                               const lm_tensor *const *seeds, int nsources,
                               const lm_tensor *const *sources, lm_tensor **grads)
    lm_status lm_identity(const lm_tensor *x, lm_tensor **out)
    lm_status lm_stop_gradient(const lm_tensor *x, lm_tensor **out)

from libc.stdlib cimport calloc, free


cdef class _Tape:
    """One C tape. Recording is per thread: push() and pop() on the thread that runs the ops."""
    cdef lm_tape *tape

    def __cinit__(self, bint persistent=False):
        check(lm_tape_new(persistent, &self.tape))

    def __dealloc__(self):
        lm_tape_free(self.tape)

    def push(self):
        check(lm_tape_push(self.tape))

    def pop(self):
        check(lm_tape_pop(self.tape))

    def set_persistent(self, bint persistent):
        lm_tape_set_persistent(self.tape, persistent)

    def pause(self, bint paused):
        lm_tape_pause(self.tape, paused)

    @property
    def active(self):
        """Pushed and not popped (the C tape's own flag: GradientTape keeps no copy)."""
        return bool(lm_tape_active(self.tape))

    @property
    def paused(self):
        return bool(lm_tape_paused(self.tape))

    def watch(self, Tensor x):
        check(lm_tape_watch(self.tape, x.t))

    def tracks(self, Tensor x):
        return bool(lm_tape_tracks(self.tape, x.t))

    def reset(self):
        lm_tape_reset(self.tape)

    @property
    def num_nodes(self):
        return lm_tape_num_nodes(self.tape)

    def gradient(self, list targets, list seeds, list sources):
        """Gradients of sum(targets) for each source (None where unconnected). seeds: a list
        of tensors or Nones, one per target."""
        cdef int nt = len(targets), ns = len(sources), i
        cdef lm_status st
        cdef const lm_tensor **tg = <const lm_tensor **>calloc(nt + 1, sizeof(lm_tensor *))
        cdef const lm_tensor **sd = <const lm_tensor **>calloc(nt + 1, sizeof(lm_tensor *))
        cdef const lm_tensor **sc = <const lm_tensor **>calloc(ns + 1, sizeof(lm_tensor *))
        cdef lm_tensor **gr = <lm_tensor **>calloc(ns + 1, sizeof(lm_tensor *))
        try:
            if not tg or not sd or not sc or not gr:
                raise MemoryError("GradientTape.gradient: out of memory")
            for i in range(nt):
                tg[i] = (<Tensor?>targets[i]).t
                if seeds[i] is not None:
                    sd[i] = (<Tensor?>seeds[i]).t
            for i in range(ns):
                sc[i] = (<Tensor?>sources[i]).t
            with nogil:
                st = lm_tape_gradient(self.tape, nt, tg, sd, ns, sc, gr)
            check(st)
            out = [None] * ns
            for i in range(ns):
                if gr[i] != NULL:
                    out[i] = wrap(gr[i])
                    gr[i] = NULL
            return out
        finally:
            for i in range(ns):
                lm_release(gr[i])
            free(tg)
            free(sd)
            free(sc)
            free(gr)


def stop_gradient(input, name=None):
    """tf.stop_gradient: the same values, but no tape sees through it."""
    cdef Tensor x = convert_to_tensor(input)
    cdef lm_tensor *out = NULL
    check(lm_stop_gradient(x.t, &out))
    return wrap(out)


def identity(input, name=None):
    """tf.identity: the same values (shared memory); gradients pass through."""
    cdef Tensor x = convert_to_tensor(input)
    cdef lm_tensor *out = NULL
    check(lm_identity(x.t, &out))
    return wrap(out)
