"""Static analysis of NVIDIA SASS (the text `nvdisasm -c` prints): the
hot loop of a reduction kernel and the instructions it issues per (i, j)
pair, by class, with shared-memory bank conflicts counted.

Definitions (docs/benchmarks.md repeats them):

- the hot loop is the first innermost loop, in code order, that reads
  shared memory (LDS): no loop nested in it does, and a main loop comes
  before its remainder loop. Its cost is its shortest path from the loop head
  to its back edge, counting each instruction once (predicated ones too:
  they are issued): the common case where no rare branch is taken (a K-min
  insertion, a new running maximum).
- pairs per iteration: the loop body is the per-pair work repeated (ptxas
  unrolls, a thread may hold several rows), so the greatest common divisor
  of the counts of its floating-point and MUFU opcodes on that path.
- per-tile work: the shortest path through the loop around the hot loop
  (the loop over tiles) that copies the tile (through its stores to shared
  memory), minus the hot loop, paid once a tile, spread over the tile's
  pairs (tile size x rows a thread).
- a shared-memory access whose lanes hit one bank n times counts n times:
  its address is followed as an affine function of the thread index
  through the code before it (moves, adds, multiplies and shifts by
  constants); an address independent of the thread index is a broadcast.
"""

import math
import re
from collections import Counter, namedtuple

Instr = namedtuple("Instr", "addr pred opcode operands")

_LINE = re.compile(r"/\*([0-9a-f]{4,})\*/\s+(@!?U?P\w+\s+)?([A-Z][A-Z0-9_.]*)\s*(.*?)\s*;")
_LABEL = re.compile(r"^\s*(\.L_x_\d+|\.L_\w+):")
_FUNC = re.compile(r"^\s*\.text\.([\w$.]+):")

FP_OPS = {"FADD", "FMUL", "FFMA", "FMNMX", "FSETP", "FSEL", "FSET", "FCHK", "FRND",
          "FSWZADD", "FMNMX3", "FADD2", "FMUL2", "FFMA2", "HFMA2", "HADD2", "HMUL2"}


def classify(opcode):
    """The class of an opcode: fp32, mufu, shared, global, int, control, other."""
    base = opcode.split(".")[0]
    if base == "HFMA2" and ".MMA" in opcode:
        return "int"  # ptxas's idiom for a move of a constant
    if base in FP_OPS:
        return "fp32"
    if base == "MUFU":
        return "mufu"
    if base in ("HMMA", "DMMA", "IMMA", "HGMMA"):
        return "mma"
    if base in ("LDS", "STS", "LDSM", "ATOMS", "STSM"):
        return "shared"
    if base in ("LDG", "STG", "LDL", "STL", "LD", "ST", "ATOMG", "RED", "LDGSTS", "LDC", "ULDC"):
        return "global"
    if base in ("BRA", "BRX", "JMP", "EXIT", "BSSY", "BSYNC", "BAR", "WARPSYNC", "NOP",
                "CALL", "RET", "BREAK", "BPT", "YIELD", "MEMBAR", "DEPBAR", "ERRBAR"):
        return "control"
    if base in ("IADD3", "IMAD", "LEA", "LOP3", "SHF", "ISETP", "SEL", "MOV", "IMNMX",
                "PRMT", "VIADD", "IABS", "POPC", "FLO", "BREV", "I2F", "F2I", "F2F", "I2I",
                "CS2R", "S2R", "S2UR", "P2R", "R2P", "PLOP3", "ISCADD", "IMUL", "SHL", "SHR",
                "VIMNMX", "IDP", "UIADD3", "UIMAD", "ULEA", "ULOP3", "USHF", "UMOV", "USEL",
                "UISETP", "UPRMT", "UFLO", "UPOPC", "UBREV", "R2UR", "VOTEU", "VOTE", "SHFL",
                "IMNMX3", "UIMNMX", "UVIADD", "USHL", "USHR"):
        return "int"
    return "other"


def parse(text):
    """{function name: (instructions, {label: address})} of nvdisasm -c output."""
    functions, name = {}, None
    for line in text.splitlines():
        m = _FUNC.match(line)
        if m:
            name = m.group(1)
            functions[name] = ([], {})
            continue
        if name is None:
            continue
        instrs, labels = functions[name]
        m = _LABEL.match(line)
        if m:
            labels[m.group(1)] = None  # the next instruction's address
            continue
        m = _LINE.search(line)
        if m:
            addr = int(m.group(1), 16)
            for label, at in labels.items():
                if at is None:
                    labels[label] = addr
            pred = (m.group(2) or "").strip()
            instrs.append(Instr(addr, pred, m.group(3), m.group(4)))
    return functions


def _target(ins, labels):
    m = re.search(r"`\((\.L_\w+)\)", ins.operands)
    return labels.get(m.group(1)) if m else None


class Function:
    """One kernel's instructions with their control-flow successors and loops."""

    def __init__(self, instrs, labels):
        self.instrs = instrs
        self.index = {ins.addr: k for k, ins in enumerate(instrs)}
        self.succ = []
        for k, ins in enumerate(instrs):
            nxt = [k + 1] if k + 1 < len(instrs) else []
            base = ins.opcode.split(".")[0]
            always = ins.pred in ("", "@PT")
            if base in ("BRA", "JMP"):
                t = _target(ins, labels)
                tk = [self.index[t]] if t in self.index else []
                self.succ.append(tk if always else nxt + tk)
            elif base in ("EXIT", "RET", "BRX"):
                self.succ.append([] if always else nxt)
            else:
                self.succ.append(nxt)
        # Loops: (head index, back-edge branch index), from backward branches.
        self.loops = sorted({(s, k) for k in range(len(instrs)) for s in self.succ[k]
                             if s <= k and instrs[k].opcode.startswith("BRA")})

    def contains(self, outer, inner):
        return outer != inner and outer[0] <= inner[0] and inner[1] <= outer[1]

    def reads_shared(self, loop):
        return any(self.instrs[k].opcode.startswith("LDS") for k in range(loop[0], loop[1] + 1))

    def hot_loop(self):
        """The first innermost loop, in code order, that reads shared memory:
        an unrolled main loop comes before its remainder loop (which ptxas
        may unroll further, into a longer body that runs on the last tile
        only)."""
        cands = [l for l in self.loops if self.reads_shared(l)]
        inner = [l for l in cands if not any(self.contains(l, o) for o in cands)]
        if not inner:
            return None
        return min(inner)

    def enclosing(self, loop):
        """The innermost loop around `loop` (the loop over tiles), or None."""
        outer = [l for l in self.loops if self.contains(l, loop)]
        return min(outer, key=lambda l: l[1] - l[0]) if outer else None

    def shortest_path(self, start, end, lo, hi, weight):
        """The cheapest instruction path start -> end (inclusive) inside
        [lo, hi]: a list of indices, or None."""
        # Forward edges only (a path through a nested loop's body once).
        best = {start: (weight(start), None)}
        for k in range(start, end + 1):
            if k not in best:
                continue
            cost = best[k][0]
            for s in self.succ[k]:
                if s <= k or s > end or s < lo or s > hi:
                    continue
                c = cost + weight(s)
                if s not in best or c < best[s][0]:
                    best[s] = (c, k)
        if end not in best:
            return None
        path, k = [], end
        while k is not None:
            path.append(k)
            k = best[k][1]
        return path[::-1]


    def path_through(self, start, end, loop, weight, required):
        """The cheapest path start -> end inside `loop` that passes through
        as many of the `required` indices (in order) as a path can."""
        lo, hi = loop
        path, at = [start], start
        for r in sorted(required):
            seg = self.shortest_path(at, r, lo, hi, weight)
            if seg is None or self.shortest_path(r, end, lo, hi, weight) is None:
                continue
            path += seg[1:]
            at = r
        seg = self.shortest_path(at, end, lo, hi, weight)
        return None if seg is None else path + seg[1:]


# --- shared-memory addresses as affine functions of the thread index ---------

_REG = re.compile(r"^(-|~)?(U?R\d+|U?RZ|SR_\w+)(\.\w+)*$")
_IMM = re.compile(r"^-?(0x[0-9a-f]+|\d+)$")
UNKNOWN = None  # a value whose dependence on the thread index is not known


def _operands(text):
    return [o.strip() for o in re.split(r",(?![^\[]*\])", text) if o.strip()]


class AffineTracker:
    """Values as (thread-index coefficient) in a linear scan of the code;
    0: the same for every thread of the warp, UNKNOWN: anything else."""

    def __init__(self):
        self.regs = {}

    def value(self, op):
        op = op.strip()
        if op.startswith("c[") or op.startswith("UR") or op in ("RZ", "URZ", "PT"):
            return 0
        if _IMM.match(op):
            return 0
        m = _REG.match(op)
        if not m:
            return UNKNOWN
        neg, reg = m.group(1), m.group(2)
        v = self.regs.get(reg, UNKNOWN)
        if neg == "-" and v is not None:
            return -v
        if neg == "~":
            return 0 if v == 0 else UNKNOWN
        return v

    @staticmethod
    def imm(op):
        op = op.strip()
        if _IMM.match(op):
            return int(op, 16) if "0x" in op else int(op)
        return None

    def step(self, ins):
        """Records the value defined by `ins` (its first register operand)."""
        ops = [o for o in _operands(ins.operands) if not re.match(r"^!?U?P\d|^!?UPT|^!?PT$", o)]
        if not ops or not re.match(r"^U?R\d+$", ops[0]):
            return
        base = ins.opcode.split(".")[0]
        if base in ("STS", "STG", "STL", "ST", "RED", "BAR", "BRA"):
            return
        dst, src = ops[0], ops[1:]
        width = 1
        for mod, w in ((".128", 4), (".64", 2), (".WIDE", 2)):
            if mod in ins.opcode:
                width = w
        v = self._eval(ins, base, src)
        if dst.startswith("UR"):
            v = 0
        if ins.pred not in ("", "@PT") and self.regs.get(dst) != v:
            v = UNKNOWN  # defined on some paths only
        self.regs[dst] = v
        num = int(dst.lstrip("UR"))
        prefix = "UR" if dst.startswith("UR") else "R"
        for k in range(1, width):
            self.regs[f"{prefix}{num + k}"] = 0 if prefix == "UR" else UNKNOWN

    def _eval(self, ins, base, src):
        vals = [self.value(s) for s in src]
        if base == "S2R":
            # The lane's thread index; other special registers (block
            # index, cluster rank, clock) are the same across a warp.
            reg = src[0] if src else ""
            if reg in ("SR_TID.X", "SR_LANEID"):
                return 1
            return UNKNOWN if reg.startswith("SR_TID") else 0
        if base in ("S2UR", "LDC", "ULDC", "CS2R"):
            return 0
        if base in ("LDS", "LDG", "LDL", "LD", "SHFL", "MUFU"):
            return UNKNOWN
        if base == "MOV":
            return vals[0] if vals else UNKNOWN
        if base in ("IADD3", "VIADD", "UIADD3"):
            if any(v is None for v in vals):
                return UNKNOWN
            return sum(vals)
        if base == "IMAD" and len(src) >= 3:
            a, b, c = src[0], src[1], src[2]
            va, vb, vc = vals[0], vals[1], vals[2]
            if vc is None:
                return UNKNOWN
            # a * b + c (.SHL, .MOV and .U32 forms too): affine when a
            # factor is an immediate or both are uniform.
            ia, ib = self.imm(a), self.imm(b)
            if va == 0 and vb == 0:
                return vc
            if ib is not None and va is not None:
                return va * ib + vc
            if ia is not None and vb is not None:
                return vb * ia + vc
            return UNKNOWN
        if base == "LEA" and ".HI" not in ins.opcode and len(src) >= 3:
            s = self.imm(src[2])
            if s is None or vals[0] is None or vals[1] is None:
                return UNKNOWN
            return (vals[0] << s) + vals[1]
        if base == "SHF" and ".L" in ins.opcode and len(src) >= 2:
            s = self.imm(src[1])
            if s is not None and vals[0] is not None:
                return vals[0] << s
            return UNKNOWN
        if all(v == 0 for v in vals):
            return 0
        return UNKNOWN

    def address_stride(self, ins):
        """The bytes between consecutive threads' addresses of a memory access."""
        m = re.search(r"\[([^\]]*)\]", ins.operands)
        if not m:
            return UNKNOWN
        total = 0
        for term in m.group(1).split("+"):
            term = term.strip()
            scale = 1
            sm = re.match(r"^(.*)\.X(\d+)$", term)
            if sm:
                term, scale = sm.group(1), int(sm.group(2))
            v = self.value(term.split(".")[0] if term.startswith("R") else term)
            if v is None:
                return UNKNOWN
            total += v * scale
        return total


def access_width(opcode):
    for mod, w in ((".128", 16), (".64", 8), (".U8", 1), (".S8", 1), (".U16", 2), (".S16", 2)):
        if mod in opcode:
            return w
    return 4


def conflict_factor(stride, width):
    """Wavefronts of a warp's shared-memory access over the conflict-free
    count, for lanes `stride` bytes apart, each accessing `width` bytes."""
    if stride is None:
        return None
    group = 32 * 4 // max(width, 4)
    waves = groups = 0
    for g0 in range(0, 32, group):
        banks = {}
        for lane in range(g0, g0 + group):
            a = stride * lane
            for word in range(a // 4, (a + width - 1) // 4 + 1):
                banks.setdefault(word % 32, set()).add(word)
        waves += max(len(w) for w in banks.values())
        groups += 1
    return waves / groups


def shared_conflicts(fn):
    """{instruction index: conflict factor (None: not known)} of every shared access."""
    tracker, out = AffineTracker(), {}
    for k, ins in enumerate(fn.instrs):
        if classify(ins.opcode) == "shared":
            out[k] = conflict_factor(tracker.address_stride(ins), access_width(ins.opcode))
        tracker.step(ins)
    return out


# --- the cost per pair ---------------------------------------------------------

Report = namedtuple("Report", "per_pair classes pairs_per_iter loop_instrs tile_instrs "
                              "tile_pairs conflicts unknown_conflicts warnings")


def analyse(fn, tile_pairs):
    """The instructions issued per pair in `fn`'s hot loop plus its per-tile
    work spread over `tile_pairs` pairs (tile size x rows a thread)."""
    loop = fn.hot_loop()
    if loop is None:
        raise ValueError("no loop reads shared memory: not a tiled reduction kernel")
    conflicts = shared_conflicts(fn)
    warnings = []

    def weight(k):
        f = conflicts.get(k)
        return 1.0 if f is None else f

    head, back = loop
    path = fn.shortest_path(head, back, head, back, weight)
    if path is None:
        raise ValueError("the hot loop has no path from its head to its back edge")
    ops = Counter(fn.instrs[k].opcode.split(".")[0] + ("." + fn.instrs[k].opcode.split(".")[1]
                  if fn.instrs[k].opcode.startswith("MUFU") else "")
                  for k in path if classify(fn.instrs[k].opcode) in ("fp32", "mufu"))
    if not ops:
        raise ValueError("the hot loop does no floating-point work")
    ppi = 0
    for c in ops.values():
        ppi = math.gcd(ppi, c)
    tile_path = []
    outer = fn.enclosing(loop)
    if outer is not None:
        # Outer head -> hot-loop head through the tile's copy to shared
        # memory (its stores, on the common path though guarded by bounds
        # checks), then hot-loop exit -> outer back edge.
        before = fn.path_through(outer[0], head, outer, weight,
                                 [k for k in range(outer[0], head)
                                  if fn.instrs[k].opcode.startswith("STS")])
        after = fn.shortest_path(back + 1, outer[1], outer[0], outer[1], weight) \
            if back + 1 <= outer[1] else []
        if before is None or after is None:
            warnings.append("no path around the hot loop in the tile loop")
        else:
            tile_path = before[:-1] + after
            nested = [l for l in fn.loops if fn.contains(outer, l) and l != loop
                      and any(l[0] <= k <= l[1] for k in tile_path)]
            if nested:
                warnings.append(f"per-tile work counts one iteration of {len(nested)} nested loop(s)")
    else:
        warnings.append("no loop over tiles around the hot loop")
    classes = Counter()
    for k in path:
        classes[classify(fn.instrs[k].opcode)] += weight(k) / ppi
    for k in tile_path:
        classes[classify(fn.instrs[k].opcode)] += weight(k) / tile_pairs
    unknown = sum(1 for k in path + tile_path if k in conflicts and conflicts[k] is None)
    extra = sum(weight(k) - 1 for k in path) / ppi + sum(weight(k) - 1 for k in tile_path) / tile_pairs
    return Report(sum(classes.values()), dict(classes), ppi, len(path),
                  len(tile_path), tile_pairs, extra, unknown, warnings)
