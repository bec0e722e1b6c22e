import pytest

from cnn_explorer.model import KINDS, Graph, ParameterError
from cnn_explorer.model.graph import spec_for
from cnn_explorer.model.spec import spec_fields


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_has_valid_defaults_and_a_tooltip(kind):
    bk = KINDS[kind]
    spec = bk.spec()
    assert spec.to_dict() == bk.spec(**spec.to_dict()).to_dict()  # defaults round-trip
    assert bk.doc.endswith(".") and len(bk.doc) > 20


def test_error_names_block_field_and_what_is_allowed():
    g = Graph()
    with pytest.raises(ParameterError) as err:
        g.add_block("conv2d", {"filters": 0}, name="conv_a")
    msg = str(err.value)
    assert "conv_a" in msg and "Conv2D" in msg and "filters" in msg and "1 to 8192" in msg
    bid = g.add_block("dropout", name="drop")
    with pytest.raises(ParameterError, match=r"drop.*rate.*0.0 to 0.95"):
        g.set_param(bid, "rate", 1.5)
    with pytest.raises(ParameterError, match="padding.*one of valid, same"):
        spec_for("max_pool", {"padding": "full"})
    with pytest.raises(ParameterError, match="among: units"):
        spec_for("dense", {"unitz": 3})


def test_wrong_types_are_refused_not_coerced():
    with pytest.raises(ParameterError):
        spec_for("conv2d", {"filters": "32"})
    with pytest.raises(ParameterError):
        spec_for("conv2d", {"use_bias": 1})
    with pytest.raises(ParameterError):
        spec_for("conv2d", {"filters": 3.5})
    with pytest.raises(ParameterError):
        spec_for("dropout", {"rate": float("nan")})


def test_sizes_accept_square_or_pair_and_save_square_as_int():
    spec = spec_for("conv2d", {"kernel": [1, 7]})
    assert spec.kernel == (1, 7) and spec.to_dict()["kernel"] == [1, 7]
    assert spec_for("conv2d", {"kernel": 5}).to_dict()["kernel"] == 5


def test_strides_and_dilation_together_are_refused_as_keras_does():
    with pytest.raises(ParameterError, match="dilation"):
        spec_for("conv2d", {"strides": 2, "dilation": 2})


def test_spec_fields_give_editors_their_ranges():
    fields = {f["name"]: f for f in spec_fields(KINDS["dense_block"].spec)}
    assert fields["growth_rate"]["kind"] == "int" and fields["growth_rate"]["low"] == 1
    assert fields["bottleneck"]["kind"] == "bool"
    act = {f["name"]: f for f in spec_fields(KINDS["activation"].spec)}["activation"]
    assert "sigmoid" in act["choices"] and "relu" in act["choices"]
