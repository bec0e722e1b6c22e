"""Diagnosis rules on hand-made signals: each finding appears exactly when its evidence does."""

import math

from cnn_explorer.training.diagnosis import Finding, Signals, degradation, diagnose

LAYERS = [{"name": f"conv{i}", "kind": "Conv2D", "block": f"b{i}"} for i in range(1, 6)]


def steps(n=40, grads=None, loss=lambda i: 2.3 - 0.02 * i, weights=None, updates=None,
          activations=None):
    out = []
    for i in range(1, n + 1):
        out.append({"step": i, "epoch": 1, "loss": loss(i), "accuracy": 0.1 + 0.005 * i,
                    "grad_norms": grads(i) if grads else [1.0] * 5,
                    "weight_norms": weights or [10.0] * 5,
                    "update_norms": updates or [0.01] * 5,
                    "activations": activations(i) if activations else {}})
    return out


def codes(signals):
    return [f.code for f in diagnose(signals)]


def test_healthy_run_has_no_findings():
    assert codes(Signals(LAYERS, steps())) == []


def test_vanishing_names_the_blocks_near_the_input():
    grads = lambda i: [1e-9, 1e-7, 1e-5, 0.5, 1.0]  # noqa: E731
    findings = diagnose(Signals(LAYERS, steps(grads=grads), block_names={"b3": "conv_three"}))
    assert findings[0].code == "vanishing" and findings[0].severity == "error"
    assert findings[0].blocks == ["b1", "b2", "b3"]
    assert "conv_three" in findings[0].message and "residual" in findings[0].message
    assert math.isclose(findings[0].evidence["first_to_last_ratio"], 1e-9)
    assert "residual" in findings[0].fixes


def test_a_brief_dip_is_not_vanishing():
    grads = lambda i: [1e-9, 1, 1, 1, 1] if i % 5 == 0 else [1.0] * 5  # noqa: E731
    assert "vanishing" not in codes(Signals(LAYERS, steps(grads=grads)))


def test_nan_and_growth_are_exploding():
    nan = steps(loss=lambda i: float("nan") if i > 30 else 2.0)
    assert codes(Signals(LAYERS, nan))[0] == "exploding"
    growing = steps(grads=lambda i: [10.0 ** (i / 5)] * 5)
    assert "exploding" in codes(Signals(LAYERS, growing))


def test_update_ratio_says_learning_rate():
    assert "lr_high" in codes(Signals(LAYERS, steps(updates=[5.0] * 5)))
    assert "lr_low" in codes(Signals(LAYERS, steps(updates=[1e-6] * 5)))


def test_flat_loss_is_not_learning():
    assert "not_learning" in codes(Signals(LAYERS, steps(loss=lambda i: 2.30)))


def test_dead_and_saturated_units_from_activation_statistics():
    dead = lambda i: {"b2": {"fn": "relu", "dead": 0.8, "zero": 0.9}}  # noqa: E731
    found = diagnose(Signals(LAYERS, steps(activations=dead)))
    assert [f.blocks for f in found if f.code == "dead_relu"] == [["b2"]]
    sat = lambda i: {"b4": {"fn": "sigmoid", "saturated": 0.7}}  # noqa: E731
    assert "saturated" in codes(Signals(LAYERS, steps(activations=sat)))
    few = lambda i: {"b2": {"fn": "relu", "dead": 0.1}}  # noqa: E731
    assert codes(Signals(LAYERS, steps(activations=few))) == []


def test_overfitting_from_epochs():
    epochs = [{"epoch": e, "loss": 2 - 0.3 * e, "accuracy": 0.3 + 0.15 * e,
               "val_loss": [1.8, 1.5, 1.6, 2.0][e - 1], "val_accuracy": 0.4} for e in (1, 2, 3, 4)]
    assert "overfitting" in codes(Signals(LAYERS, steps(), epochs))


def test_degradation_compares_plain_with_residual():
    plain = Signals(LAYERS, [{**s, "accuracy": 0.3} for s in steps()])
    residual = Signals(LAYERS, [{**s, "accuracy": 0.6} for s in steps()])
    finding = degradation(plain, residual, ("plain-20", "residual-20"))
    assert finding is not None and "plain-20" in finding.message
    assert degradation(residual, plain, ("a", "b")) is None


def test_findings_are_data_that_round_trip():
    finding = diagnose(Signals(LAYERS, steps(updates=[5.0] * 5)))[0]
    assert Finding.from_dict(finding.to_dict()) == finding
