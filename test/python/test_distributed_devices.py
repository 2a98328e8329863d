"""keops.distributed.devices: one reduction over several GPUs of a process
(device_id=[...]), split by kept rows or by the reduced axis (states merged
on the first device), on the GPU emulator with seven emulated devices
(devices_worker.py, in a process of its own: the driver reads the number of
devices once)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("keops_cache_dir")


def test_every_kind_over_two_three_and_seven_emulated_devices():
    env = dict(os.environ, KEOPS_CUDA_DRIVER="emulator", KEOPS_EMULATOR_DEVICES="7")
    proc = subprocess.run([sys.executable, str(Path(__file__).with_name("devices_worker.py"))],
                          env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    errors = json.loads(proc.stdout.strip().splitlines()[-1])["errors"]
    assert not errors, errors
