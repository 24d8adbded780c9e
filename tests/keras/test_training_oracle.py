"""compile / fit / evaluate / predict / train_on_batch against real tf.keras 2: the scenarios
in oracle/training_scenarios.py run here with lamina and are compared with the numbers tf_keras
2.21 gave for the same code (oracle/training.json, made by oracle/gen_training.py)."""
import json
import os
import sys

import numpy as np
import pytest

import lamina as tf

_HERE = os.path.join(os.path.dirname(__file__), "oracle")
sys.path.insert(0, _HERE)
import training_scenarios as S  # noqa: E402

_WANT = json.load(open(os.path.join(_HERE, "training.json")))


def _compare(got, want, path="result"):
    if isinstance(want, dict):
        assert isinstance(got, dict), path
        assert sorted(got) == sorted(want), (path, sorted(got), sorted(want))
        for k in want:
            _compare(got[k], want[k], f"{path}[{k!r}]")
    elif isinstance(want, list) and want and isinstance(want[0], str):
        assert list(got) == want, path
    elif isinstance(want, list) and any(isinstance(w, (list, dict)) for w in want) and \
            np.asarray(want, dtype=object).dtype == object and \
            len({np.shape(w) for w in want}) > 1:
        assert len(got) == len(want), (path, len(got), len(want))
        for i, (g, w) in enumerate(zip(got, want)):
            _compare(g, w, f"{path}[{i}]")
    elif isinstance(want, str):
        assert got == want, path
    else:
        np.testing.assert_allclose(np.asarray(got, dtype=np.float64), np.asarray(want),
                                   rtol=1e-4, atol=1e-5, err_msg=path)


@pytest.mark.parametrize("scenario", S.SCENARIOS, ids=lambda f: f.__name__)
def test_scenario_matches_tf_keras(scenario):
    tf.keras.backend.clear_session()
    got = json.loads(json.dumps(scenario(tf), default=lambda o: np.asarray(o).tolist()))
    _compare(got, _WANT[scenario.__name__])
