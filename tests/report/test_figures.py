"""The report's plots render to PNG from tiny inputs, including the empty cases."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from pipeline.report import figures

PNG = b"\x89PNG\r\n\x1a\n"


def _size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG)
    return Image.open(io.BytesIO(png)).size


@pytest.mark.parametrize(
    "png",
    [
        figures.works_per_year({"Liu Ziyin": {2020: 3, 2022: 6}, "Qianyi Li": {2020: 1, 2022: 1, 2023: 1, 2024: 1}}),
        figures.trust_histogram({"Unverified": [15, 15, 13], "Emerging": [21]}),
        figures.quarantine_reasons([("works: doi: not a DOI", 3), ("events: type: unknown", 1)]),
        figures.collaborator_graph(
            "Qianyi Li", [("Haim Sompolinsky", 4, True), ("Haozhe Shan", 1, False)], [(0, 1, 1)]
        ),
        figures.bar_counts({"works": 19, "profiles": 26}, title="Rows", xlabel="rows"),
    ],
)
def test_plots_are_pngs_of_a_readable_size(png):
    width, height = _size(png)
    assert width > 300 and height > 150


def test_empty_inputs_say_so_instead_of_failing():
    for png in (
        figures.works_per_year({}),
        figures.trust_histogram({}),
        figures.quarantine_reasons([]),
        figures.collaborator_graph("Nobody", []),
        figures.bar_counts({}, title="Rows", xlabel="rows"),
    ):
        width, height = _size(png)
        assert width > 100 and height < 200  # a one-line message, not an empty chart


def test_same_inputs_give_the_same_bytes():
    # no timestamps in the files: a report rebuilt from the same data is byte-identical
    assert figures.trust_histogram({"Emerging": [21]}) == figures.trust_histogram({"Emerging": [21]})
