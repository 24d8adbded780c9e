"""Aliasing fuzzer for the gradient tape: gradients must not depend on which objects share a
tensor, nor on other tapes being active.

Each case is a random program over a few constants and variables (sums, products, squares, lists
of tensors summed, the same term as both inputs, variable reads and assign_add under the tape,
a source that is also a target). It runs in two worlds holding the same values:
  - aliased: variables made from the constants' tensors, from other variables, by
    copy.deepcopy, by assign(other variable);
  - fresh: every constant and variable made from its own NumPy copy.
The gradients of every source (constants, variables, intermediate results) must be identical.
Then the program runs under an inner tape nested in an outer one watching everything, and the
inner tape's gradients must be those of the same tape alone.

    python -m fuzz.fuzz_alias --seed 3 --cases 2000      (from tests/)
"""
import argparse
import copy
import random

import numpy as np

import lamina as tf

SHAPE = (3,)


class Program:
    def __init__(self, seed):
        r = self.r = random.Random(seed)
        rng = np.random.default_rng(seed)
        self.arrays = [rng.integers(-3, 4, SHAPE).astype(np.float32) for _ in range(r.randint(1, 3))]
        # how each variable is made in the aliased world: from a constant, another variable
        # (Variable(v), deepcopy, assign)
        self.var_specs = []
        for j in range(r.randint(1, 4)):
            kinds = ["const"] + (["var", "deepcopy", "assign"] if j else [])
            kind = r.choice(kinds)
            src = r.randrange(len(self.arrays)) if kind == "const" else r.randrange(j)
            self.var_specs.append((kind, src, r.random() < 0.8))   # trainable
        self.watch_consts = [r.random() < 0.5 for _ in self.arrays]
        self.watch_vars = [r.random() < 0.3 for _ in self.var_specs]
        self.steps = [self._step(k) for k in range(r.randint(1, 8))]
        nres = len(self.steps)
        self.targets = r.sample(range(nres), r.randint(1, nres))
        self.source_results = r.sample(range(nres), r.randint(0, min(2, nres)))
        self.extra_target = self._term(nres) if r.random() < 0.3 else None

    def tracked_sources(self):
        """For each source: whether a tape that watched what this program watches can give it a
        gradient. Other sources must get None (tapes are independent), unless the source is
        itself a target (then ones)."""
        var = [tr or w for (_, _, tr), w in zip(self.var_specs, self.watch_vars)]
        res = []

        def tracked(term):
            kind, i = term
            return self.watch_consts[i] if kind == "c" else var[i] if kind == "v" else res[i]
        for op, a, b, j in self.steps:
            if op in ("assign_add", "read"):
                res.append(var[j])
            else:
                res.append(tracked(a) or (op in ("add", "sub", "mul", "list_sum") and tracked(b)))
        out = list(self.watch_consts) + var + [res[k] for k in self.source_results]
        terms = [("c", i) for i in range(len(self.arrays))] + \
                [("v", j) for j in range(len(self.var_specs))] + \
                [("r", k) for k in self.source_results]
        targets = [("r", k) for k in self.targets] + [self.extra_target]
        return [o or (t in targets and t[0] != "v") for o, t in zip(out, terms)]

    def _term(self, nres):
        r = self.r
        choices = [("c", i) for i in range(len(self.arrays))] + \
                  [("v", j) for j in range(len(self.var_specs))] + [("r", k) for k in range(nres)]
        return r.choice(choices)

    def _step(self, k):
        r = self.r
        op = r.choice(["add", "sub", "mul", "mul", "same", "square", "tanh", "list_sum",
                       "assign_add", "read"])
        return op, self._term(k), self._term(k), r.randrange(len(self.var_specs))

    # ---- building a world ------------------------------------------------------------------
    def world(self, aliased):
        consts = [tf.constant(a.copy()) for a in self.arrays]
        variables = []
        for kind, src, trainable in self.var_specs:
            value = self._value_of(kind, src)
            if not aliased:
                variables.append(tf.Variable(value.copy(), trainable=trainable))
            elif kind == "const":
                variables.append(tf.Variable(consts[src], trainable=trainable))
            elif kind == "var":
                variables.append(tf.Variable(variables[src], trainable=trainable))
            elif kind == "deepcopy":
                v = copy.deepcopy(variables[src])
                v.trainable = trainable
                variables.append(v)
            else:
                v = tf.Variable(np.zeros(SHAPE, np.float32), trainable=trainable)
                v.assign(variables[src])
                variables.append(v)
        return consts, variables

    def _value_of(self, kind, src):
        while kind != "const":
            kind, src, _ = self.var_specs[src]
        return self.arrays[src]

    # ---- running it ------------------------------------------------------------------------
    def run(self, consts, variables, tapes):
        """Run the steps with `tapes` recording (entered by the caller); return the targets and
        the sources (constants, variables, chosen results)."""
        for t in tapes:
            for c, w in zip(consts, self.watch_consts):
                if w:
                    t.watch(c)
            for v, w in zip(variables, self.watch_vars):
                if w:
                    t.watch(v)
        results = []

        def get(term):
            kind, i = term
            return consts[i] if kind == "c" else variables[i] if kind == "v" else results[i]

        for op, a, b, j in self.steps:
            x, y = get(a), get(b)
            if op == "add":
                out = x + y
            elif op == "sub":
                out = x - y
            elif op == "mul":
                out = x * y
            elif op == "same":
                out = x * x
            elif op == "square":
                out = tf.square(x)
            elif op == "tanh":
                out = tf.tanh(x)
            elif op == "list_sum":
                out = tf.reduce_sum([x, y], axis=0)
            elif op == "assign_add":
                variables[j].assign_add(tf.convert_to_tensor(x) * 0.5)
                out = variables[j] * 1.0
            else:
                out = variables[j].read_value()
            results.append(out)
        targets = [results[k] for k in self.targets]
        if self.extra_target is not None:
            targets.append(get(self.extra_target))
        sources = consts + variables + [results[k] for k in self.source_results]
        return targets, sources


def _same(g1, g2):
    if (g1 is None) != (g2 is None):
        return False
    return g1 is None or np.array_equal(g1.numpy(), g2.numpy())


def gradients(prog, aliased, nested):
    consts, variables = prog.world(aliased)
    if not nested:
        with tf.GradientTape(persistent=True) as t:
            targets, sources = prog.run(consts, variables, [t])
        return t.gradient(targets, sources)
    with tf.GradientTape(persistent=True) as outer:
        for c in consts:
            outer.watch(c)
        for v in variables:
            outer.watch(v)
        with tf.GradientTape(persistent=True) as inner:
            targets, sources = prog.run(consts, variables, [inner])
    return inner.gradient(targets, sources)


def check(seed):
    """Raise AssertionError when a case's gradients differ between the worlds or the nestings."""
    prog = Program(seed)
    fresh = gradients(prog, aliased=False, nested=False)
    aliased = gradients(prog, aliased=True, nested=False)
    nested = gradients(prog, aliased=True, nested=True)
    for i, (f, a, n, t) in enumerate(zip(fresh, aliased, nested, prog.tracked_sources())):
        assert _same(f, a), f"seed {seed}: source {i}: aliased world gives {a}, fresh world {f}"
        assert _same(f, n), f"seed {seed}: source {i}: under an outer tape {n}, alone {f}"
        assert t or f is None, f"seed {seed}: source {i} was never watched but has gradient {f}"


def run(seed, cases):
    for k in range(cases):
        check(seed * 1_000_003 + k)
    return cases


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cases", type=int, default=1000)
    a = p.parse_args()
    print(f"{run(a.seed, a.cases)} cases, no difference")


if __name__ == "__main__":
    main()
