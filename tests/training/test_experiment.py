"""The plain-vs-residual experiment's recipe and its time estimate (no training here)."""

import numpy as np
import pytest

from cnn_explorer.model.errors import ParameterError
from cnn_explorer.model.settings import RunSettings
from cnn_explorer.training.diagnosis import DEGRADATION_GAP
from cnn_explorer.training.experiment import (
    BATCH_SIZE,
    STEPS,
    WIDTH,
    Throughput,
    estimate_seconds,
    experiment_settings,
    gap_curve,
    gap_opened_at,
    plan_experiment,
    smoothed_error,
    steps_of,
    whole_epochs,
)
from cnn_explorer.training.pipeline import split_data


class _Images:
    """Just enough of DataArrays for split_data: 1,800 images, like the bundled sample."""

    def __init__(self, n: int) -> None:
        self.x_train = np.zeros((n, 1), np.uint8)
        self.y_train = np.zeros(n, np.int64)
        self.x_test, self.y_test = self.x_train[:10], self.y_train[:10]
        self.class_names = tuple("abcdefghij")


@pytest.mark.parametrize("images", [1800, 29000])
@pytest.mark.parametrize("steps", [STEPS, 2, 37])
def test_every_dataset_trains_the_planned_steps(images, steps):
    form = RunSettings(batch_size=512, epochs=40, subset=0, optimizer="sgd", learning_rate=5.0,
                       activation_override="sigmoid", seed=7, augment=True)
    settings = experiment_settings(form, steps)
    split = split_data(_Images(images), subset=settings.subset,
                       validation_split=settings.validation_split, seed=settings.seed)
    epochs, per_epoch = whole_epochs(steps)
    assert steps_of(settings, len(split.x_train)) == epochs * per_epoch
    assert steps <= epochs * per_epoch < steps + epochs  # rounded up to whole epochs at most
    assert plan_experiment(form, 8, True, 10, Throughput(), steps=steps).steps == \
        epochs * per_epoch
    assert settings.batch_size == BATCH_SIZE and settings.optimizer == "adam"
    assert settings.learning_rate == pytest.approx(1e-3) and not settings.augment
    # the study knobs and the seed stay the user's (sigmoid without BN shows vanishing)
    assert settings.activation_override == "sigmoid" and settings.seed == 7


def test_the_plan_pairs_a_plain_and_a_residual_net_of_one_depth_and_width():
    plan = plan_experiment(RunSettings(), 20, True, 10, Throughput())
    plain, residual = plan.designs
    assert plan.labels == ("plain-20", "residual-20")
    kinds = [[b.kind for b in d.graph.blocks()] for d in plan.designs]
    assert "residual" not in kinds[0] and kinds[1].count("residual") == 9
    stems = [next(b for b in d.graph.blocks() if b.name == "stem") for d in plan.designs]
    assert [s.params["filters"] for s in stems] == [WIDTH, WIDTH]
    conv_layers = [sum(1 for x in d.graph.report().layers if x.kind == "conv2d")
                   for d in plan.designs]
    assert conv_layers[0] == 19 and conv_layers[1] >= 19  # same depth (+ projections)
    assert plan.flops_per_image[0] == plain.graph.report().flops > 0


def test_the_estimate_is_start_up_plus_steps_at_the_machines_rate():
    slow, fast = Throughput(1e9, 10.0), Throughput(4e9, 10.0)
    flops = (3_000_000, 3_200_000)
    assert estimate_seconds(flops, 32, 100, slow) == pytest.approx(
        20.0 + 100 * 3 * 32 * (3_000_000 + 3_200_000) / 1e9)
    a = plan_experiment(RunSettings(), 20, True, 10, slow)
    b = plan_experiment(RunSettings(), 20, True, 10, fast)
    assert b.seconds < a.seconds
    deeper = plan_experiment(RunSettings(), 32, True, 10, slow)
    assert deeper.seconds > a.seconds
    assert f"about {a.seconds:.0f} s" in a.describe() and "first guess" in a.describe()


def test_a_finished_run_teaches_the_estimate_this_machines_speed():
    # 1 s before the first step, then 0.05 s a step: the rate is one step's FLOPs / 0.05 s
    seconds = [1.0 + 0.05 * k for k in range(41)]
    speed = Throughput().from_run(2_000_000, 32, seconds)
    assert speed.measured and speed.startup_s == pytest.approx(1.0)
    assert speed.flop_rate == pytest.approx(3 * 2_000_000 * 32 / 0.05)
    plan = plan_experiment(RunSettings(), 20, True, 10, speed)
    assert "this machine" in plan.describe()
    assert Throughput().from_run(2_000_000, 32, seconds[:3]) == Throughput()  # too few steps
    # a second run is averaged in (geometric mean), not taken alone
    again = speed.from_run(2_000_000, 32, [1.0 + 0.2 * k for k in range(41)])
    assert speed.flop_rate > again.flop_rate > speed.flop_rate / 4


def test_a_depth_the_presets_refuse_says_which_depths_work():
    with pytest.raises(ParameterError, match="6n\\+2"):
        plan_experiment(RunSettings(), 21, True, 10, Throughput())


def test_the_gap_opens_where_the_plain_net_falls_behind():
    steps = 200
    residual = np.full(steps, 0.5)
    plain = np.where(np.arange(steps) < 100, 0.5, 0.2)  # 30 points worse from step 101
    gap = gap_curve(plain, residual)
    opened = gap_opened_at(gap, DEGRADATION_GAP)
    # the trailing mean of 20 steps: 3 worse steps give 4.5 points, 4 give 6: step 104
    assert opened == 104
    assert gap[-1] == pytest.approx(0.3)
    assert gap_opened_at(gap_curve(residual, residual), DEGRADATION_GAP) is None
    assert gap_opened_at(gap_curve(plain[:10], residual[:10]), DEGRADATION_GAP) is None
    assert smoothed_error([1.0, 0.0])[-1] == pytest.approx(0.5)
