"""Property-based fuzzing of design files (issue 10): preset designs mutated at the JSON level
(type swaps, huge numbers, NaN, deletions, deep nesting, lone surrogates) must either load or
be refused with the project's own error; a design that loads must infer, summarise, print and
export without any other exception."""

from __future__ import annotations

import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnn_explorer.keras.export import ExportError, export_python
from cnn_explorer.model.cli import format_table, summary_dict
from cnn_explorer.model.errors import DesignError
from cnn_explorer.model.files import design_from_dict, design_to_dict
from cnn_explorer.model.presets import build_preset
from cnn_explorer.model.safejson import loads_bounded

PRESETS = {name: design_to_dict(build_preset(name))
           for name in ("plain-cnn", "resnet20", "alexnet", "se-resnet")}
RAW = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "9" * 5000, "1" + "0" * 400,
       "[" * 1000 + "]" * 1000, '{"a":' * 300 + "1" + "}" * 300, '"\\ud800"', '"flat\\n"',
       "-1", "0", "1e308", "4.5", "[[1]]", '["a","b","c"]', "[-1000]", "[1e200]", "{}", "[]"]

values = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=12),
    st.lists(st.integers(-5, 10**6), max_size=4),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
    st.sampled_from(RAW).map(lambda raw: ("RAW", raw)),
)


def paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from paths(value, prefix + (key,))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from paths(value, prefix + (i,))


def mutate(data: dict, path: tuple, action: str, value) -> None:
    if not path:
        return
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if action == "delete":
        del parent[key]
    elif action == "rename" and isinstance(parent, dict):
        parent[str(key) + "_"] = parent.pop(key)
    else:
        parent[key] = value


def to_text(data: dict) -> str:
    raws: list[str] = []

    def placeholder(value):
        if isinstance(value, tuple) and value and value[0] == "RAW":
            raws.append(value[1])
            return f"@@RAW{len(raws) - 1}@@"
        raise TypeError

    def walk(obj):
        if isinstance(obj, dict):
            return {k: walk(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [walk(v) for v in obj]
        if isinstance(obj, tuple):
            return placeholder(obj)
        return obj

    text = json.dumps(walk(data))
    for i, raw in enumerate(raws):
        text = text.replace(f'"@@RAW{i}@@"', raw)
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(PRESETS)), st.data())
def test_mutated_designs_raise_only_the_projects_errors(name, data):
    design_data = copy.deepcopy(PRESETS[name])
    for _ in range(data.draw(st.integers(1, 3))):
        all_paths = list(paths(design_data))
        path = data.draw(st.sampled_from(all_paths))
        action = data.draw(st.sampled_from(["replace", "replace", "delete", "rename"]))
        mutate(design_data, path, action, data.draw(values))
    text = to_text(design_data)
    try:
        design = design_from_dict(loads_bounded(text))
    except DesignError:
        return
    report = design.graph.report()
    table = format_table(summary_dict(design))
    table.encode("utf-8")  # printable: no lone surrogate survives
    assert report.total_params >= 0 and all(b.params >= 0 for b in report.blocks.values())
    for block in design.graph.blocks():
        assert "\n" not in block.name
    json.dumps(design_to_dict(design), allow_nan=False)  # saves as plain JSON again
    try:
        export_python(design).encode("utf-8")
    except (ExportError, DesignError):
        pass
