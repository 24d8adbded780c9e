"""Every loss and metric class against tf.keras 2's numbers (oracle/losses_metrics.json, made by
oracle/gen_losses_metrics.py with real tf_keras): targets of rank (N,), (N, 1), (N, k), integer
and float targets, sample weights per sample / per column / scalar, each reduction. Where
tf.keras raises, lamina must raise too."""
import json
import os

import numpy as np
import pytest

from lamina import keras

_DATA = json.load(open(os.path.join(os.path.dirname(__file__), "oracle", "losses_metrics.json")))


def _arr(a):
    if a is None or isinstance(a, (int, float)):
        return a
    return np.asarray(a["data"], dtype=a["dtype"])


def _case_id(c):
    def shape(a):
        return "s" if a is None or isinstance(a, (int, float)) else \
            f"{np.asarray(a['data']).shape}{a['dtype'][0]}"
    kw = ",".join(f"{k}={v}" for k, v in c["kwargs"].items())
    return f"{c['kind']}:{c['name']}({kw}) y{shape(c['y_true'])} p{shape(c['y_pred'])} " \
           f"w{shape(c['sample_weight'])}"


def _run(c):
    yt, yp, sw = _arr(c["y_true"]), _arr(c["y_pred"]), _arr(c["sample_weight"])
    if c["kind"] == "loss":
        return getattr(keras.losses, c["name"])(**c["kwargs"])(yt, yp, sample_weight=sw)
    if c["kind"] == "loss_fn":
        return getattr(keras.losses, c["name"])(yt, yp)
    m = getattr(keras.metrics, c["name"])(**c["kwargs"])
    m.update_state(yt, yp, sample_weight=sw)
    m.update_state(yt[::-1], yp, sample_weight=sw)
    return m.result()


@pytest.mark.parametrize("case", _DATA["cases"], ids=_case_id)
def test_matches_tf_keras(case):
    if "error" in case:
        with pytest.raises(Exception):
            np.asarray(_run(case))
        return
    got = np.asarray(_run(case))
    want = np.asarray(case["value"], dtype=np.float64)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)


def test_configs_and_names_match_tf_keras():
    keras.backend.clear_session()
    for key, want in _DATA["configs"].items():
        kind, name = key.split(":")
        if kind == "names":
            m = keras.metrics
            got = [m.Precision().name, m.Precision().name, m.AUC().name,
                   m.TruePositives().name, m.MeanIoU(num_classes=2).name]
            assert got == want
        elif kind == "loss":
            got = keras.losses.serialize(getattr(keras.losses, name)())
            assert got == want, key
        elif name == "MeanIoU":
            assert keras.metrics.MeanIoU(num_classes=3).get_config() == want
        else:
            m = getattr(keras.metrics, name)()
            assert m.name == want["name"], key
            assert m.get_config() == want["config"], key
            assert [v.name.split(":")[0].split("/")[-1] for v in m.variables] == \
                want["variables"], key
