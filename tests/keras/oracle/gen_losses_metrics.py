"""Generate losses_metrics.json: tf.keras 2 (tf_keras 2.21) values of every loss and metric
class on targets of rank (N,), (N, 1), (N, k), integer and float targets, with and without
sample weights, under each reduction. Run with the oracle environment (never in CI):

    TF_USE_LEGACY_KERAS=1 /work/tfenv/bin/python tests/keras/oracle/gen_losses_metrics.py
"""
import json
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

L, M = tf.keras.losses, tf.keras.metrics
rng = np.random.default_rng(1234)
N, K = 6, 3

prob_k = rng.uniform(0.05, 0.95, size=(N, K)).astype("float32")
prob_1 = rng.uniform(0.05, 0.95, size=(N, 1)).astype("float32")
real_k = rng.normal(size=(N, K)).astype("float32")
real_1 = rng.normal(size=(N, 1)).astype("float32")
bin_1 = rng.integers(0, 2, size=(N, 1))
bin_k = rng.integers(0, 2, size=(N, K))
onehot = np.eye(K, dtype="int64")[rng.integers(0, K, size=N)]
sparse = rng.integers(0, K, size=N)
pos_k = rng.uniform(0.5, 3.0, size=(N, K)).astype("float32")
pos_1 = rng.uniform(0.5, 3.0, size=(N, 1)).astype("float32")
sw_n = rng.uniform(0.0, 2.0, size=N).astype("float32")

WEIGHTS = {"none": None, "per_sample": sw_n, "per_sample_col": sw_n[:, None], "scalar": 2.5}


def target_forms(y):
    """(name, array) views of a (N, 1) or (N, k) target: float, int, rank (N,) when k == 1."""
    out = [("float", y.astype("float32")), ("int", y.astype("int64"))]
    if y.shape[-1] == 1:
        out += [("float_flat", y[:, 0].astype("float32")), ("int_flat", y[:, 0].astype("int64"))]
    return out


def pred_forms(p):
    out = [("pred", p)]
    if p.shape[-1] == 1:
        out.append(("pred_flat", p[:, 0]))
    return out


# (class name, kwargs, target (N,1)/(N,k), prediction (N,1)/(N,k))
LOSS_CASES = [
    ("MeanSquaredError", {}, real_1, real_1 * 0.5 + 0.3), ("MeanSquaredError", {}, real_k, pos_k),
    ("MeanAbsoluteError", {}, real_1, pos_1), ("MeanAbsoluteError", {}, real_k, pos_k),
    ("MeanAbsolutePercentageError", {}, pos_1, real_1), ("MeanAbsolutePercentageError", {}, pos_k,
                                                          real_k),
    ("MeanSquaredLogarithmicError", {}, pos_1, pos_1[::-1]), ("MeanSquaredLogarithmicError", {},
                                                               pos_k, pos_k[::-1]),
    ("Huber", {}, real_1, pos_1), ("Huber", {"delta": 0.5}, real_k, pos_k),
    ("LogCosh", {}, real_1, pos_1), ("LogCosh", {}, real_k, pos_k),
    ("Poisson", {}, pos_1, pos_1[::-1]), ("Poisson", {}, bin_k, pos_k),
    ("Hinge", {}, bin_1, real_1), ("Hinge", {}, bin_k * 2 - 1, real_k),
    ("SquaredHinge", {}, bin_1, real_1), ("SquaredHinge", {}, bin_k, real_k),
    ("CategoricalHinge", {}, onehot, real_k),
    ("KLDivergence", {}, prob_k, prob_k[::-1]), ("KLDivergence", {}, prob_1, prob_1[::-1]),
    ("CosineSimilarity", {}, real_k, pos_k), ("CosineSimilarity", {"axis": 0}, real_k, pos_k),
    ("BinaryCrossentropy", {}, bin_1, prob_1), ("BinaryCrossentropy", {}, bin_k, prob_k),
    ("BinaryCrossentropy", {"from_logits": True}, bin_1, real_1),
    ("BinaryCrossentropy", {"label_smoothing": 0.2}, bin_k, prob_k),
    ("CategoricalCrossentropy", {}, onehot, prob_k),
    ("CategoricalCrossentropy", {"from_logits": True}, onehot, real_k),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, onehot, prob_k),
    ("SparseCategoricalCrossentropy", {}, sparse[:, None], prob_k),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, sparse[:, None], real_k),
]

METRIC_CASES = [
    ("MeanSquaredError", {}, real_1, pos_1), ("MeanSquaredError", {}, real_k, pos_k),
    ("MeanAbsoluteError", {}, real_1, pos_1), ("MeanAbsolutePercentageError", {}, pos_1, real_1),
    ("MeanSquaredLogarithmicError", {}, pos_k, pos_k[::-1]), ("RootMeanSquaredError", {},
                                                               real_1, pos_1),
    ("RootMeanSquaredError", {}, real_k, pos_k), ("LogCoshError", {}, real_k, pos_k),
    ("CosineSimilarity", {}, real_k, pos_k), ("Poisson", {}, pos_1, pos_1[::-1]),
    ("KLDivergence", {}, prob_k, prob_k[::-1]), ("Hinge", {}, bin_1, real_1),
    ("SquaredHinge", {}, bin_k, real_k), ("CategoricalHinge", {}, onehot, real_k),
    ("BinaryCrossentropy", {}, bin_1, prob_1), ("BinaryCrossentropy", {"from_logits": True},
                                                bin_k, real_k),
    ("CategoricalCrossentropy", {}, onehot, prob_k),
    ("SparseCategoricalCrossentropy", {}, sparse[:, None], prob_k),
    ("Accuracy", {}, bin_1, (prob_1 > 0.5).astype("float32")),
    ("Accuracy", {}, bin_k, (prob_k > 0.5).astype("float32")),
    ("BinaryAccuracy", {}, bin_1, prob_1), ("BinaryAccuracy", {}, bin_k, prob_k),
    ("BinaryAccuracy", {"threshold": 0.7}, bin_1, prob_1),
    ("CategoricalAccuracy", {}, onehot, prob_k),
    ("SparseCategoricalAccuracy", {}, sparse[:, None], prob_k),
    ("TopKCategoricalAccuracy", {"k": 2}, onehot, prob_k),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, sparse[:, None], prob_k),
    ("Precision", {}, bin_1, prob_1), ("Precision", {}, bin_k, prob_k),
    ("Precision", {"thresholds": [0.3, 0.6]}, bin_k, prob_k),
    ("Precision", {"top_k": 1}, onehot, prob_k), ("Precision", {"class_id": 1}, bin_k, prob_k),
    ("Recall", {}, bin_1, prob_1), ("Recall", {"thresholds": [0.2, 0.5, 0.9]}, bin_k, prob_k),
    ("TruePositives", {}, bin_1, prob_1), ("FalsePositives", {"thresholds": [0.3, 0.7]},
                                           bin_k, prob_k),
    ("TrueNegatives", {}, bin_k, prob_k), ("FalseNegatives", {}, bin_1, prob_1),
    ("AUC", {}, bin_1, prob_1), ("AUC", {}, bin_k, prob_k),
    ("AUC", {"curve": "PR"}, bin_k, prob_k), ("AUC", {"num_thresholds": 7}, bin_k, prob_k),
    ("AUC", {"summation_method": "minoring"}, bin_k, prob_k),
    ("AUC", {"from_logits": True}, bin_k, real_k),
    ("AUC", {"multi_label": True}, bin_k, prob_k),
    ("MeanIoU", {"num_classes": 3}, sparse[:, None], rng.integers(0, 3, size=(N, 1))),
    ("MeanIoU", {"num_classes": 3, "sparse_y_pred": False}, sparse, prob_k),
]


def run(fn):
    try:
        v = fn()
        return {"value": np.asarray(v).tolist()}
    except Exception as e:  # noqa: BLE001 - the oracle's error is the expected outcome
        return {"error": type(e).__name__}


def arr(a):
    if a is None or np.isscalar(a):
        return a
    return {"data": np.asarray(a).tolist(), "dtype": str(np.asarray(a).dtype)}


# configs first: metrics named by tf.keras on demand (Precision() -> "precision") get
# their first name only in a fresh session
configs = {}
m1, m2 = M.Precision(), M.Precision()
configs["names:Precision"] = [m1.name, m2.name, M.AUC().name, M.TruePositives().name,
                              M.MeanIoU(num_classes=2).name]
for name in ("BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
             "MeanSquaredError", "Huber", "CosineSimilarity", "KLDivergence", "LogCosh"):
    configs["loss:" + name] = L.serialize(getattr(L, name)())
for name in ("Mean", "Sum", "Precision", "Recall", "AUC", "TopKCategoricalAccuracy",
             "RootMeanSquaredError", "BinaryAccuracy", "CategoricalCrossentropy",
             "KLDivergence", "LogCoshError", "TruePositives"):
    o = getattr(M, name)()
    configs["metric:" + name] = {"name": o.name, "config": o.get_config(),
                                 "variables": [v.name.split(":")[0] for v in o.variables]}
configs["metric:MeanIoU"] = M.MeanIoU(num_classes=3).get_config()


cases = []
for name, kw, y, p in LOSS_CASES:
    for tname, yt in target_forms(y):
        for pname, yp in pred_forms(p):
            for wname, sw in WEIGHTS.items():
                for red in ("auto", "sum", "none"):
                    if red != "auto" and (wname not in ("none", "per_sample") or
                                          tname not in ("float", "float_flat")):
                        continue
                    obj = getattr(L, name)(reduction=red, **kw)
                    out = run(lambda: obj(yt, yp, sample_weight=sw))
                    cases.append({"kind": "loss", "name": name, "kwargs": dict(kw, reduction=red),
                                  "y_true": arr(yt), "y_pred": arr(yp), "sample_weight": arr(sw),
                                  **out})
for name, kw, y, p in METRIC_CASES:
    for tname, yt in target_forms(y):
        for pname, yp in pred_forms(p):
            for wname, sw in WEIGHTS.items():
                if wname == "scalar" and name in ("MeanIoU",):
                    continue
                obj = getattr(M, name)(**kw)

                def two_updates():
                    obj.update_state(yt, yp, sample_weight=sw)
                    obj.update_state(yt[::-1], yp, sample_weight=sw)
                    return obj.result()
                out = run(two_updates)
                cases.append({"kind": "metric", "name": name, "kwargs": kw, "y_true": arr(yt),
                              "y_pred": arr(yp), "sample_weight": arr(sw), **out})
# the functions, called directly (per-sample values)
for fname in ("mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
              "mean_squared_logarithmic_error", "huber", "log_cosh", "poisson", "hinge",
              "squared_hinge", "categorical_hinge", "kl_divergence", "cosine_similarity",
              "binary_crossentropy", "categorical_crossentropy"):
    for y, p in ((pos_k, prob_k), (bin_k, prob_k), (onehot, prob_k)):
        out = run(lambda: getattr(L, fname)(y, p))
        cases.append({"kind": "loss_fn", "name": fname, "kwargs": {}, "y_true": arr(y),
                      "y_pred": arr(p), "sample_weight": None, **out})
out = run(lambda: L.sparse_categorical_crossentropy(sparse, prob_k))
cases.append({"kind": "loss_fn", "name": "sparse_categorical_crossentropy", "kwargs": {},
              "y_true": arr(sparse), "y_pred": arr(prob_k), "sample_weight": None, **out})

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "losses_metrics.json")
with open(path, "w") as f:
    json.dump({"cases": cases, "configs": configs}, f, separators=(",", ":"))
print(len(cases), "cases written to", path)
