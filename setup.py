"""Compiled parts of crossdesk (everything else is in pyproject.toml).

The guard's fast paths are Cython modules (``src/crossdesk/**/*.pyx``). Each has a Python twin
that gives the same answers, so a machine without a C compiler still installs and runs
crossdesk, only slower; the test suite fails without them (tests/unit/guard/test_fastview.py).
"""

from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup

SOURCES = sorted(Path("src").glob("crossdesk/**/*.pyx"))

setup(
    ext_modules=cythonize(
        [
            Extension(
                ".".join(path.relative_to("src").with_suffix("").parts),
                [str(path)],
                optional=True,  # no compiler: the pure-Python twins answer
            )
            for path in SOURCES
        ],
        language_level=3,
    )
)
