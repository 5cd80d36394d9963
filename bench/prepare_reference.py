"""The reference's path for `sweep data prepare` (BENCHMARKS.md figure 3).

What a Python user of the challenge data would write: pandas `read_csv` of the DREAM file
(sequence TAB expression), the challenge filter (exactly 110 bases, only A/C/G/T), and the
kept sequences one-hot encoded into a NumPy uint8 array `[rows, 4, 110]` (channels first, as
a PyTorch Conv1d reads them). Prints one JSON line: rows read and kept, wall seconds, and peak
resident memory of the process (resource.getrusage, which Linux reports in KiB).

Usage: bench/.venv/bin/python bench/prepare_reference.py FILE
"""

import argparse
import json
import resource
import time

import numpy as np
import pandas as pd

SEQ_LEN = 110


def one_hot(sequences: pd.Series) -> np.ndarray:
    """`[rows, 4, 110]` uint8, channel c set where the base is "ACGT"[c]."""
    joined = "".join(sequences.tolist()).encode("ascii")
    bases = np.frombuffer(joined, dtype=np.uint8).reshape(len(sequences), SEQ_LEN)
    code = np.full(256, 255, dtype=np.uint8)
    for i, base in enumerate(b"ACGT"):
        code[base] = i
    codes = code[bases]
    return (codes[:, None, :] == np.arange(4, dtype=np.uint8)[None, :, None]).astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    args = parser.parse_args()

    start = time.perf_counter()
    frame = pd.read_csv(
        args.file,
        sep="\t",
        header=None,
        names=["sequence", "expression"],
        dtype={"sequence": str, "expression": np.float32},
    )
    keep = (frame["sequence"].str.len() == SEQ_LEN) & frame["sequence"].str.fullmatch("[ACGT]+")
    kept = frame[keep]
    x = one_hot(kept["sequence"])
    y = kept["expression"].to_numpy()
    seconds = time.perf_counter() - start
    assert x.shape == (len(kept), 4, SEQ_LEN) and len(y) == len(kept)
    # Every kept position has exactly one channel set.
    assert int(x[:1000].sum()) == min(1000, len(kept)) * SEQ_LEN

    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "what": "prepare",
                "rows": len(frame),
                "kept": len(kept),
                "seconds": seconds,
                "peak_rss_mib": peak_kib / 1024,
                "pandas": pd.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
