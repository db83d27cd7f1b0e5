"""``explain``: the arithmetic it shows must give the shapes the layers actually produce."""
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import barenet
from barenet import nn
from barenet.analysis import explain
from barenet.analysis.report import explain_table


def _sizes(text: str):
    """(OH, OW) as the explanation computes them, or None for a text without the formula."""
    both = re.match(r"OH = OW = [^;]* = (\d+)(;|$)", text)
    if both:
        return int(both.group(1)), int(both.group(1))
    apart = re.match(r"OH = [^,;]* = (\d+), OW = [^;]* = (\d+)(;|$)", text)
    return (int(apart.group(1)), int(apart.group(2))) if apart else None


def test_alexnet_first_layer(build):
    rows = explain(build("alexnet"), (3, 224, 224))
    assert rows[0].text == "OH = OW = (224 + 2*2 - 11)//4 + 1 = 55; C_out = 64"
    assert rows[2].text == "OH = OW = (55 + 2*0 - 3)//2 + 1 = 27"
    assert rows[13].text == "OH = output_size = 6 (bins of 1 of 6), OW = output_size = 6 (bins of 1 of 6)"
    assert rows[15].text == "out = out_features = 4096 (in_features = 9216)"


@pytest.mark.parametrize("name, size", [("googlenet", (3, 224, 224)), ("squeezenet1_0", (3, 227, 201)),
                                        ("resnet18", (3, 99, 131)), ("alexnet_paper", (3, 227, 227))])
def test_shown_sizes_are_the_real_ones(build, name, size):
    rows = explain(build(name), size)
    checked = [r for r in rows if _sizes(r.text) is not None]
    assert len(checked) > 5
    for r in checked:
        assert _sizes(r.text) == tuple(r.output_shape[2:]), (r.name, r.text)


def test_concatenation_and_flatten(build):
    rows = {r.name: r for r in explain(build("googlenet"), (3, 224, 224))}
    assert rows["inception3a.cat"].text == "C = 64 + 128 + 32 + 32 = 256"
    flat = explain(nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten()), (1, 5, 6))
    assert flat[1].text == "48 = 4*3*4"


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(["conv", "max", "avg", "transpose"]), k=st.tuples(st.integers(1, 5), st.integers(1, 5)),
       s=st.tuples(st.integers(1, 3), st.integers(1, 3)), p=st.integers(0, 2), d=st.integers(1, 2),
       ceil=st.booleans(), h=st.integers(9, 20), w=st.integers(9, 20))
def test_drawn_layers(kind, k, s, p, d, ceil, h, w):
    p = min(p, min(k) // 2)
    layer = {"conv": lambda: nn.Conv2d(2, 3, k, stride=s, padding=p, dilation=d),
             "max": lambda: nn.MaxPool2d(k, stride=s, padding=p, dilation=d, ceil_mode=ceil),
             "avg": lambda: nn.AvgPool2d(k, stride=s, padding=p, ceil_mode=ceil),
             "transpose": lambda: nn.ConvTranspose2d(2, 3, k, stride=s, padding=p, dilation=d)}[kind]()
    with barenet.no_grad():
        real = layer(barenet.zeros(1, 2, h, w)).shape
    assert _sizes(explain(layer, (2, h, w))[0].text) == tuple(real[2:])


def test_ceil_mode_mentions_the_dropped_window():
    text = explain(nn.MaxPool2d(2, stride=2, padding=1, ceil_mode=True), (1, 5, 5))[0].text
    assert text == "OH = OW = ceil((5 + 2*1 - 2)/2) + 1 - 1 (the last window would start in the right padding) = 3"


def test_same_padding_and_dilation():
    text = explain(nn.Conv2d(1, 2, (4, 3), padding="same", dilation=(1, 2)), (1, 9, 10))[0].text
    assert text == "OH = (9 + 1 + 2 - 4)//1 + 1 = 9, OW = (10 + 2*2 - (2*(3-1) + 1))//1 + 1 = 10; C_out = 2"


def test_table_and_errors():
    rows = explain(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU()), (1, 5, 5))
    table = explain_table(rows)
    assert "same shape as the input" in table and "(1, 2, 3, 3)" in table
    with pytest.raises(ValueError, match=r"layer '0' \(Conv2d\)"):
        explain(nn.Sequential(nn.Conv2d(1, 2, 7)), (1, 5, 5))
