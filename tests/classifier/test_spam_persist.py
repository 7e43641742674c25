"""SpamModel.dumps/loads: identical scores, and refusal of anything that does not fit."""

from __future__ import annotations

import json
import struct
from typing import Any

import pytest

from classifier import ModelLoadError, SpamModel
from classifier.persist import MAGIC, read_header


def _with_header(data: bytes, **changes: object) -> bytes:
    header = read_header(data)
    payload = data[header.pop("_payload_offset") :]
    header.update(changes)
    encoded = json.dumps(header).encode()
    return MAGIC + struct.pack(">I", len(encoded)) + encoded + payload


def test_roundtrip_gives_identical_scores(
    trained_model: SpamModel, samples: tuple[list[bytes], list[bytes]]
) -> None:
    data = trained_model.dumps()
    loaded = SpamModel.loads(data)
    assert loaded.counts == trained_model.counts and loaded.version == trained_model.version
    assert loaded.trained
    for raw in samples[0][:3] + samples[1][:3]:
        assert loaded.score(raw) == trained_model.score(raw)
    assert loaded.dumps() == data


def test_loaded_model_keeps_learning(
    trained_model: SpamModel, samples: tuple[list[bytes], list[bytes]]
) -> None:
    loaded = SpamModel.loads(trained_model.dumps())
    loaded.learn(samples[1][0], True)
    assert loaded.version == trained_model.version + 1


@pytest.mark.parametrize(
    "mangle",
    [
        lambda d: b"",
        lambda d: b"not a model at all",
        lambda d: d[: len(d) // 2],
        lambda d: d[:-10] + bytes(10),
        lambda d: d[:12] + b"{garbage" + d[20:],
    ],
    ids=["empty", "foreign", "truncated", "altered", "bad-header"],
)
def test_corrupt_bytes_raise(trained_model: SpamModel, mangle: object) -> None:
    with pytest.raises(ModelLoadError) as info:
        SpamModel.loads(mangle(trained_model.dumps()))  # type: ignore[operator]
    assert info.value.reason == "corrupt"


def test_wrong_format_version_raises(trained_model: SpamModel) -> None:
    with pytest.raises(ModelLoadError) as info:
        SpamModel.loads(_with_header(trained_model.dumps(), format=99))
    assert info.value.reason == "format_version"


def test_other_feature_version_raises(trained_model: SpamModel) -> None:
    with pytest.raises(ModelLoadError) as info:
        SpamModel.loads(_with_header(trained_model.dumps(), features=0))
    assert info.value.reason == "format_version"


def test_other_sklearn_version_raises(trained_model: SpamModel) -> None:
    with pytest.raises(ModelLoadError) as info:
        SpamModel.loads(_with_header(trained_model.dumps(), sklearn="0.24.2"))
    assert info.value.reason == "sklearn_version"
    assert "0.24.2" in str(info.value)


def _repacked(data: bytes, change: object) -> bytes:
    """``data`` with its payload state changed by ``change`` and a valid checksum."""
    import hashlib
    import pickle
    import zlib

    header = read_header(data)
    state = pickle.loads(zlib.decompress(data[header.pop("_payload_offset") :]))
    change(state)  # type: ignore[operator]
    payload = zlib.compress(pickle.dumps(state), 1)
    header["sha256"] = hashlib.sha256(payload).hexdigest()
    encoded = json.dumps(header).encode()
    return MAGIC + struct.pack(">I", len(encoded)) + encoded + payload


def test_weights_out_of_range_or_malformed_recent_lessons_are_refused(
    trained_model: SpamModel,
) -> None:
    import numpy as np

    data = trained_model.dumps()

    def far_index(state: dict[str, Any]) -> None:
        indices, values = state["weights"]
        state["weights"] = (np.append(indices, 2**30).astype(np.int32), np.append(values, 1.0))

    def bad_recent(state: dict[str, Any]) -> None:
        state["recent"] = [(np.array([1, 2], np.int32), np.array([1.0], np.float32), True)]

    for change in (far_index, bad_recent):
        with pytest.raises(ModelLoadError) as info:
            SpamModel.loads(_repacked(data, change))
        assert info.value.reason == "corrupt"


def test_an_untrained_model_and_its_recent_lessons_survive_a_roundtrip(
    samples: tuple[list[bytes], list[bytes]],
) -> None:
    fresh = SpamModel.loads(SpamModel.new().dumps())
    assert not fresh.fitted and len(fresh.recent) == 0
    hams, spams = samples
    fresh.learn(spams[0], True, threshold=0.85)
    fresh.learn(hams[0], False, threshold=0.85)
    again = SpamModel.loads(fresh.dumps())
    assert len(again.recent) == 2
    assert again.score(spams[1]) == fresh.score(spams[1])
