"""Thread groups of the CPU (NUMA nodes): a call spreads its rows over all
groups, device_id=[...] with backend="CPU" splits a reduction over groups
as over GPUs, and keops.thread_group(g) runs a thread's calls on one group.
The groups are read once per process, so each configuration runs in a
process of its own (thread_groups_worker.py): groups forced by
KEOPS_THREAD_GROUPS, and NUMA nodes read from a fake sysfs tree."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("keops_cache_dir")

ALLOWED = sorted(os.sched_getaffinity(0))


def run_worker(expected, **env):
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("thread_groups_worker.py")),
         json.dumps(expected)],
        env=dict(os.environ, **env), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    errors = json.loads(proc.stdout.strip().splitlines()[-1])["errors"]
    assert not errors, errors


def forced(groups):
    """KEOPS_THREAD_GROUPS=G: consecutive CPUs, round robin past the CPUs."""
    n = len(ALLOWED)
    if groups > n:
        return [[ALLOWED[g % n]] for g in range(groups)]
    return [ALLOWED[n * g // groups:n * (g + 1) // groups] for g in range(groups)]


def test_forced_split_of_the_cpus():
    assert forced(2) == [ALLOWED[:len(ALLOWED) // 2], ALLOWED[len(ALLOWED) // 2:]] \
        if len(ALLOWED) >= 2 else [[ALLOWED[0]], [ALLOWED[0]]]


@pytest.mark.parametrize("groups", [2, 3, 7])
def test_every_kind_over_forced_groups(groups):
    run_worker(forced(groups), KEOPS_THREAD_GROUPS=str(groups))


def write_nodes(root, lists):
    for node, cpus in lists.items():
        (root / f"node{node}").mkdir()
        (root / f"node{node}" / "cpulist").write_text(cpus + "\n")


def cpulist(cpus):
    return ",".join(map(str, cpus))


def test_numa_nodes_from_sysfs(tmp_path):
    # Two nodes (the second as a range), a gap in the numbering, a node of
    # CPUs this process may not use, and a malformed list: the last two
    # are left out. (No "online" file: the first node numbers are read.)
    half = len(ALLOWED) // 2 or 1
    first, second = ALLOWED[:half], ALLOWED[half:]
    lists = {0: cpulist(first), 3: "100000-100003", 4: "5-x"}
    if second:
        lists[2] = f"{second[0]}-{second[-1]}" if second == list(
            range(second[0], second[-1] + 1)) else cpulist(second)
    write_nodes(tmp_path, lists)
    run_worker([g for g in (first, second) if g], KEOPS_SYSFS_NODE_DIR=str(tmp_path))


def test_cpus_of_no_node_form_a_group(tmp_path):
    if len(ALLOWED) < 2:
        pytest.skip("needs 2 CPUs")
    write_nodes(tmp_path, {0: str(ALLOWED[0])})
    run_worker([[ALLOWED[0]], ALLOWED[1:]], KEOPS_SYSFS_NODE_DIR=str(tmp_path))


def test_numa_node_numbers_far_apart(tmp_path):
    # The nodes online (CXL or HBM nodes get large numbers); node 1 is
    # offline and its list is not read.
    if len(ALLOWED) < 2:
        pytest.skip("needs 2 CPUs")
    write_nodes(tmp_path, {0: str(ALLOWED[0]), 1: cpulist(ALLOWED), 100: cpulist(ALLOWED[1:])})
    (tmp_path / "online").write_text("0,100\n")
    run_worker([[ALLOWED[0]], ALLOWED[1:]], KEOPS_SYSFS_NODE_DIR=str(tmp_path))
