"""The released RDF/XML opens in the OWL API (as Protégé does) inside the OWL 2 DL profile, labels everywhere."""

from __future__ import annotations

import shutil

import pytest

from calcgraph import paths
from calcgraph.owlapi import check_owl2_dl

pytestmark = [pytest.mark.java, pytest.mark.skipif(shutil.which("java") is None, reason="needs a Java runtime")]


def test_release_is_owl2_dl_with_labels() -> None:
    report = check_owl2_dl(paths.release_owl())
    assert report.violations == []
    assert report.in_dl_profile
    assert report.unlabelled == []
    assert report.class_count > 150
