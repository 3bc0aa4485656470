"""How long checking and re-encoding a shopper's photo takes (handoff/photos.py clean_photo),
for phone-sized photos: python bench/photo_clean.py [--runs 5]."""

from __future__ import annotations

import argparse
import io
import statistics
import time

import numpy as np
from PIL import Image

from handoff.photos import MAX_PHOTO_BYTES, clean_photo


def photo(width: int, height: int, kind: str) -> bytes:
    """A photo-like image: smooth shapes (coarse noise scaled up) with a little grain on top,
    so it compresses roughly like a phone photo (flat colour or pure noise would not)."""
    rng = np.random.default_rng(7)
    coarse = Image.fromarray(rng.integers(0, 256, (height // 16, width // 16, 3), dtype=np.uint8))
    smooth = np.asarray(coarse.resize((width, height), Image.Resampling.BICUBIC), dtype=np.int16)
    grain = rng.integers(-6, 7, (height, width, 3), dtype=np.int16)
    out = io.BytesIO()
    Image.fromarray(np.clip(smooth + grain, 0, 255).astype(np.uint8)).save(out, format=kind, **({"quality": 90} if kind == "JPEG" else {}))
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for width, height, kind in [(1280, 960, "JPEG"), (4000, 3000, "JPEG"), (1280, 960, "PNG"), (1280, 960, "WEBP")]:
        raw = photo(width, height, kind)
        if len(raw) > MAX_PHOTO_BYTES:
            print(f"{kind} {width}x{height}: {len(raw) / 1e6:.1f} MB, over the limit, skipped")
            continue
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            clean = clean_photo(raw)
            times.append((time.perf_counter() - start) * 1000)
        print(f"{kind} {width}x{height} {len(raw) / 1e6:.2f} MB → {clean.width}x{clean.height} {len(clean.data) / 1e6:.2f} MB: "
              f"median {statistics.median(times):.0f} ms, max {max(times):.0f} ms ({args.runs} runs)")


if __name__ == "__main__":
    main()
