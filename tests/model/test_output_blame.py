"""'More than one model output' blames the dangling block, never the wired head."""

from cnn_explorer.model.graph import Graph


def chain(*kinds):
    g = Graph()
    ids = [g.add_block(k) for k in kinds]
    for a, b in zip(ids, ids[1:]):
        g.connect(a, b)
    return g, ids


def blamed(report) -> list[str]:
    return [p.block_id for p in report.problems if "more than one model output" in p.message]


def test_a_block_added_off_the_path_is_blamed_not_the_classifier():
    g, (x, conv, flat, head) = chain("input", "conv2d", "flatten", "classifier")
    dangling = g.add_block("dropout")
    g.connect(conv, dangling)  # comes before the head in topological order
    r = g.report()
    assert blamed(r) == [dangling]
    assert r.output_ids[0] == head
    assert f"'{g.block(dangling).name}' leads nowhere" in r.blocks[dangling].problems[0]
    assert f"output is '{g.block(head).name}'" in r.blocks[dangling].problems[0]
    assert not r.blocks[head].problems


def test_without_a_classifier_the_longest_path_is_the_output():
    g, (x, conv, pool, dense) = chain("input", "conv2d", "global_avg_pool", "dense")
    dangling = g.add_block("flatten")
    g.connect(x, dangling)
    r = g.report()
    assert blamed(r) == [dangling] and r.output_ids[0] == dense


def test_on_a_tie_the_newer_block_is_blamed():
    g, (x, conv) = chain("input", "conv2d")
    newer = g.add_block("batch_norm")
    g.connect(x, newer)  # same depth as conv: the older block is the output
    r = g.report()
    assert blamed(r) == [newer]


def test_one_output_blames_nothing():
    g, ids = chain("input", "conv2d", "flatten", "classifier")
    r = g.report()
    assert blamed(r) == [] and r.output_ids == [ids[-1]]


def test_a_block_with_no_input_is_told_that_once_not_also_called_an_output():
    g, ids = chain("input", "conv2d", "flatten", "classifier")
    loose = g.add_block("dense")
    r = g.report()
    assert blamed(r) == [] and r.output_ids[0] == ids[-1]
    assert r.blocks[loose].problems == ["input port 0 not connected"]
