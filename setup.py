"""Build hook for the compiled helpers, ``storyline.annotate._heldgil`` and
``storyline.stories._speedups``.

Everything else is in pyproject.toml. The helper runs spaCy's greedy parse with the GIL
held (see the module's docstring): it needs Cython, a C++ compiler and spaCy's Cython
headers (installed with spaCy), so the Makefile installs the package with
``--no-build-isolation`` after the lock. When any of those is missing the build goes on
without it, says so, and Storyline parses through spaCy unchanged (same output, slower).
"""
import sys

from setuptools import Extension, setup


def extensions():
    try:
        import numpy
        import spacy  # noqa: F401  (its .pxd headers are what the helper compiles against)
        from Cython.Build import cythonize

        ext = Extension(
            "storyline.annotate._heldgil",
            ["src/storyline/annotate/_heldgil.pyx"],
            include_dirs=[numpy.get_include()],
            language="c++",
            optional=True,
        )
        # the grouper's inner loops (stories/fast.py falls back to Python without it)
        # no fused multiply-add: the compiled loops must round as their Python twins do (a
        # compiler may contract a * b + c into one instruction when the target has FMA)
        fp = [] if sys.platform == "win32" else ["-ffp-contract=off"]
        speedups = Extension("storyline.stories._speedups", ["src/storyline/stories/_speedups.pyx"],
                             extra_compile_args=fp, optional=True)
        return cythonize([ext, speedups], quiet=True, language_level=3)
    except Exception as exc:  # noqa: BLE001 - any missing piece: build without the helper
        print(f"storyline: building without the compiled parser helper ({type(exc).__name__}: {exc})", file=sys.stderr)
        return []


setup(ext_modules=extensions())
