"""Every block kind declares, in one place, what the rest of the app reads from it."""

from dataclasses import fields

from cnn_explorer.model.blockkind import FAMILIES
from cnn_explorer.model.kinds import KINDS, LAYER_RULES


def test_every_kind_declares_family_and_key_parameters_from_its_spec():
    for bk in KINDS.values():
        assert bk.family in FAMILIES, bk.name
        names = {f.name for f in fields(bk.spec)}
        assert set(bk.key_params) <= names, bk.name
        assert (bk.family == "block") == bk.composite, bk.name


def test_every_layer_an_expansion_makes_has_a_rule_from_its_kind():
    from cnn_explorer.model.presets import PRESETS, build_preset

    made = set()
    for name in PRESETS:
        made |= {layer.kind for layer in build_preset(name).graph.report().layers}
    assert made <= set(LAYER_RULES)
    single = {k.name for k in KINDS.values() if not k.composite} - {"classifier"}
    assert set(LAYER_RULES) == single  # a single-layer kind's layer is computed by its rule
