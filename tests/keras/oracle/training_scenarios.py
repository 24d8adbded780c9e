"""Training scenarios written once and run on both sides: with real tf.keras 2 by
gen_training.py (numbers stored in training.json) and with lamina by test_training_oracle.py.
Each scenario takes the `tf` module and returns plain numbers."""
import numpy as np

rng = np.random.default_rng(7)
X4 = rng.normal(size=(12, 3)).astype("float32")
Y_REG = (X4 @ np.array([1.5, -2.0, 0.5], "float32") + 0.3).astype("float32")   # (N,)
Y_BIN = (X4[:, 0] + 0.5 * X4[:, 1] > 0).astype("int64")                       # (N,)
Y_CLS = np.argmax(X4, axis=1).astype("int64")                                # (N,)
SW = rng.uniform(0.2, 2.0, size=12).astype("float32")
K0 = rng.normal(size=(3, 1)).astype("float32") * 0.5
K3 = rng.normal(size=(3, 3)).astype("float32") * 0.5
EMB = np.random.default_rng(11).normal(size=(5, 2)).astype("float32")
KM = np.random.default_rng(12).normal(size=(2, 1)).astype("float32")


def _dense_model(tf, units=1, activation=None, kernel=K0):
    model = tf.keras.Sequential([tf.keras.Input((3,)),
                                 tf.keras.layers.Dense(units, activation=activation)])
    model.layers[-1].set_weights([kernel, np.zeros(units, "float32")])
    return model


def _hist(h):
    return {k: [float(v) for v in vals] for k, vals in sorted(h.history.items())}


def issue_binary_example(tf):
    model = tf.keras.Sequential([tf.keras.layers.Dense(1, activation="sigmoid",
                                                       kernel_initializer="ones")])
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    x = np.array([[2], [-1.5], [1], [-0.8]], "float32")
    return model.evaluate(x, np.array([1, 0, 1, 1]), verbose=0)


def regression_flat_targets(tf):
    model = _dense_model(tf)
    model.compile(tf.keras.optimizers.SGD(0.05), "mse", metrics=["mae", "mse"])
    h = model.fit(X4, Y_REG, batch_size=4, epochs=3, shuffle=False, verbose=0)
    return {"history": _hist(h), "kernel": model.layers[-1].get_weights()[0].tolist(),
            "evaluate": model.evaluate(X4, Y_REG, batch_size=5, verbose=0),
            "names": model.metrics_names}


def regression_sample_weight(tf):
    model = _dense_model(tf)
    model.compile(tf.keras.optimizers.SGD(0.05), "mae", metrics=["mse"],
                  weighted_metrics=["mse"])
    h = model.fit(X4, Y_REG[:, None], sample_weight=SW, batch_size=5, epochs=2, shuffle=False,
                  verbose=0)
    ev = model.evaluate(X4, Y_REG, sample_weight=SW, batch_size=12, verbose=0,
                        return_dict=True)
    return {"history": _hist(h), "evaluate": ev,
            "kernel": model.layers[-1].get_weights()[0].tolist()}


def binary_class_weight(tf):
    model = _dense_model(tf, activation="sigmoid")
    model.compile(tf.keras.optimizers.SGD(0.1), "binary_crossentropy",
                  metrics=["accuracy", tf.keras.metrics.AUC(name="auc"),
                           tf.keras.metrics.Precision(name="precision")])
    h = model.fit(X4, Y_BIN, class_weight={0: 0.3, 1: 2.0}, batch_size=6, epochs=2,
                  shuffle=False, verbose=0)
    return {"history": _hist(h), "kernel": model.layers[-1].get_weights()[0].tolist(),
            "train_on_batch": model.train_on_batch(X4[:4], Y_BIN[:4], return_dict=True)}


def sparse_and_categorical(tf):
    out = {}
    for loss, y in (("sparse_categorical_crossentropy", Y_CLS),
                    ("categorical_crossentropy", np.eye(3, dtype="float32")[Y_CLS])):
        model = _dense_model(tf, 3, "softmax", K3)
        model.compile(tf.keras.optimizers.Adam(0.05), loss, metrics=["accuracy", "ce"])
        h = model.fit(X4, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        out[loss] = {"history": _hist(h), "names": model.metrics_names,
                     "predict": model.predict(X4[:3], verbose=0).tolist()}
    return out


def validation_and_initial_epoch(tf):
    model = _dense_model(tf)
    model.compile(tf.keras.optimizers.RMSprop(0.01), "mse", metrics=["mae"])
    h = model.fit(X4[:8], Y_REG[:8], validation_data=(X4[8:], Y_REG[8:], SW[8:]), epochs=3,
                  initial_epoch=1, batch_size=4, shuffle=False, verbose=0)
    h2 = model.fit(X4, Y_REG, validation_split=0.25, epochs=1, batch_size=3, shuffle=False,
                   verbose=0)
    return {"history": _hist(h), "epoch": h.epoch, "params": h.params, "split": _hist(h2)}


def multi_output(tf):
    inp = tf.keras.Input((3,), name="x")
    a = tf.keras.layers.Dense(1, name="reg")(inp)
    b = tf.keras.layers.Dense(3, activation="softmax", name="cls")(inp)
    model = tf.keras.Model(inp, {"reg": a, "cls": b})
    model.get_layer("reg").set_weights([K0, np.zeros(1, "float32")])
    model.get_layer("cls").set_weights([K3, np.zeros(3, "float32")])
    model.compile(tf.keras.optimizers.SGD(0.05),
                  loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
                  loss_weights={"reg": 0.5, "cls": 2.0},
                  metrics={"reg": ["mae"], "cls": ["accuracy"]},
                  weighted_metrics={"reg": ["mae"]})
    y = {"reg": Y_REG, "cls": Y_CLS}
    h = model.fit(X4, y, batch_size=6, epochs=2, shuffle=False, verbose=0)
    ev = model.evaluate(X4, y, sample_weight={"reg": SW, "cls": SW}, verbose=0,
                        return_dict=True)
    return {"history": _hist(h), "evaluate": ev, "names": sorted(model.metrics_names)}


def list_losses(tf):
    inp = tf.keras.Input((3,))
    a = tf.keras.layers.Dense(1, name="o1")(inp)
    b = tf.keras.layers.Dense(1, name="o2")(inp)
    model = tf.keras.Model(inp, [a, b])
    model.get_layer("o1").set_weights([K0, np.zeros(1, "float32")])
    model.get_layer("o2").set_weights([K0 * -1, np.ones(1, "float32")])
    model.compile("sgd", ["mse", "mae"], loss_weights=[1.0, 0.25], metrics=["mse"])
    return model.evaluate(X4, [Y_REG, Y_REG * 0.5], verbose=0, return_dict=True)


def optimizers(tf):
    o = tf.keras.optimizers
    s = o.schedules
    out = {}
    for key, make in (
            ("sgd", lambda: o.SGD(0.05)), ("sgd_mom", lambda: o.SGD(0.05, momentum=0.9)),
            ("sgd_nesterov", lambda: o.SGD(0.05, momentum=0.8, nesterov=True)),
            ("rmsprop", lambda: o.RMSprop(0.01)),
            ("rmsprop_centered", lambda: o.RMSprop(0.01, momentum=0.5, centered=True)),
            ("adam", lambda: o.Adam(0.05)), ("adam_amsgrad", lambda: o.Adam(0.05, amsgrad=True)),
            ("adamw", lambda: o.AdamW(0.05, weight_decay=0.1)), ("adagrad", lambda: o.Adagrad(0.1)),
            ("adadelta", lambda: o.Adadelta(1.0)), ("adamax", lambda: o.Adamax(0.05)),
            ("nadam", lambda: o.Nadam(0.05)),
            ("ftrl", lambda: o.Ftrl(0.1, l1_regularization_strength=0.01,
                                    l2_regularization_strength=0.01)),
            ("clipnorm", lambda: o.SGD(0.1, clipnorm=0.5)),
            ("clipvalue", lambda: o.SGD(0.1, clipvalue=0.05)),
            ("global_clipnorm", lambda: o.Adam(0.05, global_clipnorm=0.3)),
            ("weight_decay", lambda: o.SGD(0.05, weight_decay=0.2)),
            ("exp_decay", lambda: o.SGD(s.ExponentialDecay(0.1, 2, 0.5))),
            ("piecewise", lambda: o.SGD(s.PiecewiseConstantDecay([2, 4], [0.1, 0.05, 0.01]))),
            ("poly", lambda: o.SGD(s.PolynomialDecay(0.1, 4, 0.01, power=2.0))),
            ("inverse", lambda: o.SGD(s.InverseTimeDecay(0.1, 2, 0.5, staircase=True))),
            ("cosine", lambda: o.Adam(s.CosineDecay(0.1, 5, alpha=0.1))),
            ("cosine_restarts", lambda: o.SGD(s.CosineDecayRestarts(0.1, 2)))):
        model = _dense_model(tf)
        opt = make()
        model.compile(opt, "mse")
        h = model.fit(X4, Y_REG, batch_size=4, epochs=2, shuffle=False, verbose=0)
        out[key] = {"loss": _hist(h)["loss"], "kernel": model.layers[-1].get_weights()[0].tolist(),
                    "iterations": int(opt.iterations.numpy()),
                    "variables": [v.numpy().tolist() for v in opt.variables]}
    for key, sch in (("exp", s.ExponentialDecay(0.1, 3, 0.7, staircase=True)),
                     ("poly_cycle", s.PolynomialDecay(0.1, 3, 0.01, cycle=True)),
                     ("cos_warm", s.CosineDecay(0.0, 5, warmup_target=0.1, warmup_steps=3)),
                     ("restarts", s.CosineDecayRestarts(0.1, 3, t_mul=1.5, m_mul=0.8,
                                                        alpha=0.05))):
        out["schedule_" + key] = [float(sch(i)) for i in range(12)]
    return out


def masked_sequence(tf):
    keras = tf.keras
    inp = keras.Input((4,))
    e, d = keras.layers.Embedding(5, 2, mask_zero=True), keras.layers.Dense(1)
    model = keras.Model(inp, d(e(inp)))
    e.set_weights([EMB])
    d.set_weights([KM, np.zeros(1, "float32")])
    model.compile("sgd", "mse", metrics=["mae"], weighted_metrics=["mse"])
    x = np.array([[1, 2, 0, 0], [3, 0, 4, 1], [2, 2, 2, 0]])
    y = np.linspace(-1, 1, 12, dtype="float32").reshape(3, 4, 1)
    return {"plain": model.evaluate(x, y, verbose=0, return_dict=True),
            "weighted": model.evaluate(x, y, sample_weight=np.array([1.0, 2.0, 0.5]),
                                       verbose=0, return_dict=True),
            "fit": _hist(model.fit(x, y, epochs=2, verbose=0, shuffle=False))}


SCENARIOS = [masked_sequence, issue_binary_example, regression_flat_targets, regression_sample_weight,
             binary_class_weight, sparse_and_categorical, validation_and_initial_epoch,
             multi_output, list_losses, optimizers]
