#!/usr/bin/env python3
"""Generates golden forward/backward values for every engine op with PyTorch (Debian python3-torch).

Run:  /usr/bin/python3 tests/golden/gen_ops.py      (writes tests/golden/fixtures/ops/*.json)

Each op family lives in its own module tests/golden/ops_<family>.py exposing generate(write), where
write(name, tensors: dict[str, torch.Tensor], config: dict) stores one fixture. Seeds are fixed, so
re-running reproduces the committed fixtures bit for bit.
"""
import glob
import importlib.util
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_io import write_fixture  # noqa: E402


def main():
    torch.set_num_threads(1)
    here = os.path.dirname(os.path.abspath(__file__))
    only = set(sys.argv[1:])
    for path in sorted(glob.glob(os.path.join(here, "ops_*.py"))):
        family = os.path.basename(path)[4:-3]
        if only and family not in only:
            continue
        spec = importlib.util.spec_from_file_location("ops_" + family, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        torch.manual_seed(0)
        count = [0]

        def write(name, tensors, config=None):
            write_fixture("ops", name, tensors, config)
            count[0] += 1

        module.generate(write)
        print(f"{family}: {count[0]} fixtures")


if __name__ == "__main__":
    main()
