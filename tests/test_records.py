"""The record (``cnnbench.records``): every key of ``Profile.to_dict()`` is an attribute with the same value, rows
are hashable, and ``Results.to_pandas()`` keeps integer columns integers when rows failed."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import cnnbench
from cnnbench.records import Profile, Results


class Tiny(nn.Module):
    """Linear(4 → 2): params 4·2 + 2 = 10, MACs 1·4·2 = 8 at batch 1."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)


class Broken(nn.Module):
    def forward(self, x):
        raise ValueError("broken forward")


class FailsOnCpu(Tiny):
    """Traces on meta (static counts succeed), fails when run on real CPU tensors (a latency error row)."""

    def forward(self, x):
        if x.device.type == "cpu":
            raise RuntimeError("no CPU kernels here")
        return self.fc(x)


FAST = {"budget": 0.01, "min_samples": 1, "warmup": 0.0}


def _same(attr, value) -> bool:
    if isinstance(attr, tuple):  # input_shape: the attribute is the tuple the record writes as a list
        attr = list(attr)
    return attr == value


@pytest.fixture(scope="module")
def rows() -> dict[str, Profile]:
    ok = cnnbench.profile(Tiny(), input_size=(4,), name="ok", latency=True, **FAST)[0]
    static_err = cnnbench.profile(Broken(), input_size=(4,), name="broken")[0]
    lat_err = cnnbench.profile(FailsOnCpu(), input_size=(4,), name="fails", latency=True, **FAST)[0]
    return {"ok": ok, "static-error": static_err, "latency-error": lat_err}


@pytest.mark.parametrize("kind", ["ok", "static-error", "latency-error"])
def test_every_record_key_is_an_attribute_with_the_same_value(rows, kind):
    row = rows[kind]
    d = row.to_dict()
    assert "error" in d
    for key, value in d.items():
        assert _same(getattr(row, key), value), key


def test_error_attribute_is_the_runtime_failure(rows):
    ok, static_err, lat_err = rows["ok"], rows["static-error"], rows["latency-error"]
    assert ok.error is None and ok.params == 10 and ok.macs == 8  # 4·2 + 2 params; 4·2 MACs
    assert "broken forward" in static_err.error
    assert lat_err.macs == 8  # the static half succeeded
    assert lat_err.error is not None and "no CPU kernels here" in lat_err.error
    assert lat_err.error == lat_err.to_dict()["error"] == lat_err.latency["error"]
    assert Results([ok, static_err, lat_err]).errors == [static_err, lat_err]


def test_extra_keys_never_replace_a_field():
    p = Profile("m", "instance", "user", (1, 4), "fp32", extra={"error": "stale", "model": "other", "inputs": "1x4"})
    assert p.to_dict()["error"] is None and p.to_dict()["model"] == "m" and p.inputs == "1x4"


def test_profiles_are_hashable_and_equal_rows_hash_alike(rows):
    a = Profile("m", "instance", "user", (1, 4), "fp32", latency={"runtime": "eager", "latency_ms": {"median": 1.0}})
    b = Profile("m", "instance", "user", (1, 4), "fp32", latency={"runtime": "eager", "latency_ms": {"median": 1.0}})
    assert a == b and hash(a) == hash(b)
    assert len({a, b, *rows.values()}) == 4
    assert {rows["ok"]: "x"}[rows["ok"]] == "x"


def test_to_pandas_keeps_integer_columns_with_error_rows(rows):
    pytest.importorskip("pandas")
    df = Results([rows["ok"], rows["static-error"]]).to_pandas()
    assert str(df["params"].dtype) == "Int64" and str(df["macs"].dtype) == "Int64"
    assert df["params"].tolist()[0] == 10 and df["params"].isna().tolist() == [False, True]
    assert str(df["arithmetic_intensity"].dtype) == "float64"  # floats stay floats
    clean = Results([rows["ok"]]).to_pandas()
    assert clean["params"].dtype.kind == "i"  # no missing value: plain int64


def test_input_shape_is_a_tuple_attribute_and_a_record_list():
    x = torch.ones(1, 4)
    p = cnnbench.profile(Tiny(), inputs=x)[0]
    assert p.input_shape == (1, 4) and p.to_dict()["input_shape"] == [1, 4]
