"""benchmarks/sass_analysis.py: the hot loop, pairs per iteration, the
shortest path past rare branches and shared-memory bank conflicts, on SASS
written by hand in nvdisasm's format (no CUDA tools needed)."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
import sass_analysis as sa  # noqa: E402


def sass(body):
    """nvdisasm -c text for one kernel `k` from lines 'LABEL:' or 'INSTR ;'."""
    lines = ["//----- .text.k -----", "\t.section\t.text.k", "k:", ".text.k:"]
    addr = 0
    for line in body.strip().splitlines():
        line = line.strip()
        if line.endswith(":"):
            lines.append(line)
        else:
            lines.append(f"        /*{addr:04x}*/                   {line} /* 0x0 */")
            addr += 16
    return "\n".join(lines) + "\n"


# A tile loop around an inner loop unrolled twice (two Gaussian pairs an
# iteration), with a copy of the tile to shared memory (16 bytes a thread).
KERNEL = sass("""
S2R R0, SR_TID.X ;
ULDC UR4, c[0x0][0x0] ;
LEA R20, R0, UR4, 0x4 ;
.L_x_0:
LDG.E.128 R4, desc[UR8][R2.64] ;
STS.128 [R20], R4 ;
BAR.SYNC.DEFER_BLOCKING 0x0 ;
.L_x_1:
LDS.128 R4, [UR7] ;
LDS.128 R8, [UR7+0x10] ;
FADD.FTZ R4, R27, -R4 ;
FADD.FTZ R8, R27, -R8 ;
FMUL.FTZ R4, R4, R4 ;
FMUL.FTZ R8, R8, R8 ;
MUFU.EX2 R4, R4 ;
MUFU.EX2 R8, R8 ;
FFMA.FTZ R28, R4, R7, R28 ;
FFMA.FTZ R28, R8, R11, R28 ;
UIADD3 UR7, UR7, 0x20, URZ ;
ISETP.NE.AND P1, PT, R30, RZ, PT ;
@P1 BRA `(.L_x_1) ;
BAR.SYNC.DEFER_BLOCKING 0x0 ;
IADD3 R2, R2, 0x1, RZ ;
ISETP.NE.AND P0, PT, R2, R3, PT ;
@P0 BRA `(.L_x_0) ;
EXIT ;
.L_x_2:
BRA `(.L_x_2) ;
""")


def kernel(text=KERNEL):
    functions = sa.parse(text)
    assert list(functions) == ["k"]
    return sa.Function(*functions["k"])


def test_loops_and_the_hot_one():
    fn = kernel()
    # The tile loop, the inner loop and ptxas's trailing self-branch.
    assert len(fn.loops) == 3
    hot = fn.hot_loop()
    assert fn.instrs[hot[0]].opcode == "LDS.128"
    assert fn.instrs[hot[1]].opcode == "BRA"
    outer = fn.enclosing(hot)
    assert fn.instrs[outer[0]].opcode == "LDG.E.128"


def test_pairs_per_iteration_and_per_tile_work():
    report = sa.analyse(kernel(), tile_pairs=128)
    assert report.pairs_per_iter == 2
    assert report.loop_instrs == 13
    # Outer loop less the inner one: LDG, STS, BAR; BAR, IADD3, ISETP, BRA.
    assert report.tile_instrs == 7
    assert report.per_pair == pytest.approx(13 / 2 + 7 / 128)
    assert report.classes["mufu"] == pytest.approx(1.0)
    assert report.classes["fp32"] == pytest.approx(3.0)
    assert report.classes["shared"] == pytest.approx(1.0 + 1 / 128)
    assert report.conflicts == 0 and report.unknown_conflicts == 0
    assert report.warnings == []


def test_the_rare_branch_is_not_counted():
    # A K-min style loop: the insertion block is skipped unless d < worst.
    text = sass("""
.L_x_0:
LDS.64 R4, [R0] ;
FADD.FTZ R4, R17, -R4 ;
FMUL.FTZ R4, R4, R4 ;
FSETP.GEU.FTZ.AND P2, PT, R4, R6, PT ;
@P2 BRA `(.L_x_1) ;
MOV R6, R4 ;
MOV R7, R6 ;
MOV R8, R7 ;
FSETP.GEU.FTZ.AND P3, PT, R4, R9, PT ;
.L_x_1:
IADD3 R0, R0, 0x8, RZ ;
@P1 BRA `(.L_x_0) ;
EXIT ;
""")
    fn = kernel(text)
    report = sa.analyse(fn, tile_pairs=128)
    assert report.loop_instrs == 7
    assert report.pairs_per_iter == 1
    assert "no loop over tiles around the hot loop" in report.warnings


def test_no_shared_memory_loop_is_an_error():
    text = sass("""
.L_x_0:
FADD R1, R1, R2 ;
@P0 BRA `(.L_x_0) ;
EXIT ;
""")
    with pytest.raises(ValueError, match="no loop reads shared memory"):
        sa.analyse(kernel(text), tile_pairs=128)


@pytest.mark.parametrize("stride,width,factor", [
    (0, 4, 1),      # every lane reads one word: a broadcast
    (4, 4, 1),      # consecutive words
    (8, 4, 2),      # every other word: two lanes a bank
    (128, 4, 32),   # one bank for the whole warp
    (16, 16, 1),    # 16-byte rows, four phases of eight lanes
    (32, 16, 2),
    (260, 4, 1),    # a 65-float row: the bank advances one a lane
    (256, 1, 32),   # byte copies of 64-float rows: one bank
    (1, 1, 1),      # consecutive bytes share words
])
def test_conflict_factor(stride, width, factor):
    assert sa.conflict_factor(stride, width) == factor


def test_addresses_follow_the_thread_index():
    text = sass("""
S2R R0, SR_TID.X ;
ULDC UR4, c[0x0][0x0] ;
IMAD.SHL.U32 R2, R0, 0x100, RZ ;
LEA R3, R0, UR4, 0x2 ;
IMAD R5, R0, 0x41, RZ ;
LOP3.LUT R6, R0, 0x3, RZ, 0xc0, !PT ;
.L_x_0:
STS.U8 [R2+0x3], R9 ;
STS [R3], R9 ;
STS [R5.X4+UR4], R9 ;
STS [R6], R9 ;
LDS.128 R12, [UR4] ;
FADD R1, R1, R12 ;
@P0 BRA `(.L_x_0) ;
EXIT ;
""")
    fn = kernel(text)
    conflicts = sa.shared_conflicts(fn)
    by_op = [conflicts[k] for k in sorted(conflicts)]
    # Byte stores 256 bytes apart: 32-way; floats 4 apart and 260 apart:
    # none; an address through a bitwise and: not known; a uniform load.
    assert by_op == [32, 1, 1, None, 1]
    report = sa.analyse(fn, tile_pairs=128)
    assert report.unknown_conflicts == 1
    assert report.conflicts == pytest.approx(31)


@pytest.mark.parametrize("opcode,cls", [
    ("FFMA.FTZ", "fp32"), ("MUFU.EX2", "mufu"), ("LDS.128", "shared"), ("STS.U8", "shared"),
    ("LDG.E.128", "global"), ("IMAD.MOV.U32", "int"), ("HFMA2.MMA", "int"),
    ("BRA", "control"), ("BAR.SYNC.DEFER_BLOCKING", "control"), ("FSETP.GEU.FTZ.AND", "fp32"),
])
def test_classify(opcode, cls):
    assert sa.classify(opcode) == cls


def test_the_main_loop_comes_before_its_remainder():
    # An unrolled main loop (2 pairs) and its remainder loop, which ptxas
    # unrolled further (4 pairs): the main loop is the hot one.
    text = sass("""
.L_x_0:
LDS.128 R4, [UR7] ;
LDS.128 R8, [UR7+0x10] ;
FADD R1, R1, R4 ;
FADD R1, R1, R8 ;
@P0 BRA `(.L_x_0) ;
.L_x_1:
LDS.128 R4, [R3] ;
LDS.128 R8, [R3+0x10] ;
LDS.128 R12, [R3+0x20] ;
LDS.128 R16, [R3+0x30] ;
FADD R1, R1, R4 ;
FADD R1, R1, R8 ;
FADD R1, R1, R12 ;
FADD R1, R1, R16 ;
@P1 BRA `(.L_x_1) ;
EXIT ;
""")
    fn = kernel(text)
    assert fn.hot_loop() == (0, 4)
    assert sa.analyse(fn, tile_pairs=128).pairs_per_iter == 2
