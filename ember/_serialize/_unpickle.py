"""A pickle machine that admits only what a weights-only load allows.

Python's own unpickler calls whatever a file names; restricting ``find_class`` still lets a file
``BUILD`` attributes onto the objects it gets or call methods through ``REDUCE``. So this module
runs the pickle opcodes itself (protocols 0-5) and:

- resolves every global through ``find_global(module, name)``, which returns a ``Global`` — a
  stand-in for what ember allows under that name (never the named Python object) — or refuses;
- calls (``REDUCE``) only ``Global`` stand-ins that are callable;
- sets attributes (``BUILD``) only on OrderedDicts (a state_dict's ``_metadata``);
- appends only to lists, sets items only on dicts, adds only to sets;
- instantiates (``NEWOBJ``, ``NEWOBJ_EX``) and builds only the classes the user allow-listed
  (``ember.serialization.add_safe_globals``); refuses ``INST`` and ``OBJ``, the extension
  registry (``EXT*``) and out-of-band buffers.

Anything refused raises ``WeightsOnlyError`` before it can run; a malformed or truncated pickle
raises ``CheckpointError``.
"""
import codecs
import struct
from collections import OrderedDict

from ._budget import memory_limit
from ._common import CheckpointError
from ._objects import USER, refusal, user_globals

__all__ = ["Global", "unpickle", "refuse"]

# opcodes that make a container (or a MARK): they cost more than a number
_BIG_OPS = frozenset([b"(", b"]", b"}", b")", b"\x8f", b"t", b"l", b"d", b"\x85", b"\x86", b"\x87",
                      b"\x91", b"R", b"\x81", b"\x92"])
_MAX_LEN = 1 << 32  # a longer string in a weights pickle means a corrupted length field
# Python 2 names that protocol-2 pickles written by Python 3 still use
_RENAMED_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}


class Global:
    """What a global name in the file stands for: ``call`` (for REDUCE) and/or ``info``
    (e.g. the dtype of a storage class). Slots only, so nothing can be attached to it."""

    __slots__ = ("name", "call", "info")

    def __init__(self, name, call=None, info=None):
        self.name, self.call, self.info = name, call, info

    def __repr__(self):
        return self.name


def refuse(fname, detail):
    return refusal(fname, detail)


def _size_of(file):
    try:
        pos = file.tell()
        end = file.seek(0, 2)
        file.seek(pos)
        return end
    except (AttributeError, OSError, ValueError):
        return None


class _Mark:
    __slots__ = ()


def unpickle(file, find_global, persistent_load, fname):
    """Run the pickle in the binary file ``file`` (from its current position to STOP)."""
    read, readline = file.read, file.readline
    stack, marks, memo = [], [], {}
    user_types = {v for v in user_globals().values() if isinstance(v, type)}

    def corrupt(why):
        return CheckpointError(f"{fname} is corrupted: {why}")

    size = _size_of(file)

    def take(n):
        if n > _MAX_LEN:
            raise corrupt(f"a pickle length field says {n} bytes")
        if n > 1 << 16 and size is not None and n > size - file.tell():
            # before read(n): a buffered reader would allocate n bytes first
            raise CheckpointError(f"{fname} is truncated: a pickle field of {n} bytes runs past "
                                  "the end of the file")
        data = read(n)
        if len(data) != n:
            raise CheckpointError(f"{fname} is truncated: its pickle ends early")
        return data

    def line():
        data = readline()
        if not data.endswith(b"\n"):
            raise CheckpointError(f"{fname} is truncated: its pickle ends early")
        return data[:-1]

    def unpack(fmt):
        return struct.unpack(fmt, take(struct.calcsize(fmt)))[0]

    def pop_mark():
        if not marks:
            raise corrupt("pickle MARK missing")
        start = marks.pop()
        items = stack[start:]
        del stack[start:]
        return items

    def text(raw):  # a Python 2 str: text if it decodes, else bytes
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw

    def unicode(raw):
        return raw.decode("utf-8", "surrogatepass")

    def quoted(raw):
        if len(raw) < 2 or raw[:1] != raw[-1:] or raw[:1] not in (b"'", b'"'):
            raise corrupt("bad pickle STRING")
        return text(codecs.escape_decode(raw[1:-1])[0])

    def glob(module, name):
        push(find_global(_RENAMED_MODULES.get(module, module), name))

    def stack_global():
        name, module = stack.pop(), stack.pop()
        if type(module) is not str or type(name) is not str:
            raise corrupt("pickle STACK_GLOBAL names are not strings")
        glob(module, name)

    def int_line():  # protocol 0 spells bools as I01 / I00
        v = line()
        push(True if v == b"01" else False if v == b"00" else int(v))

    def reduce():
        args = stack.pop()
        f = stack[-1]
        if type(f) is not Global or f.call is None:
            raise refuse(fname, f"Trying to call reduce for unrecognized function {f!r}")
        if type(args) is not tuple:
            raise corrupt("pickle REDUCE arguments are not a tuple")
        stack[-1] = f.call(*args)

    def build():
        state = stack.pop()
        inst = stack[-1]
        if type(inst) is OrderedDict and type(state) is dict and all(type(k) is str for k in state):
            for k, v in state.items():
                if not k.startswith("__"):
                    inst.__dict__[k] = v
            return
        if type(inst) in user_types:  # allow-listed by the user: built as pickle would
            setstate = getattr(inst, "__setstate__", None)
            if setstate is not None:
                setstate(state)
                return
            slots = None
            if isinstance(state, tuple) and len(state) == 2:
                state, slots = state
            if state:
                inst.__dict__.update(state)
            for k, v in (slots or {}).items():
                setattr(inst, k, v)
            return
        raise refuse(fname, "Can only build Tensor, Parameter, OrderedDict or types allowlisted "
                            f"via `add_safe_globals`, but got {type(inst)}")

    def new_object(cls, args, kwargs=None):
        if type(cls) is not Global or cls.info is not USER or not isinstance(cls.call, type):
            raise refuse(fname, "Can only create new object for nn.Parameter or classes allowlisted "
                                f"via `add_safe_globals` but got {cls!r}")
        if type(args) is not tuple:
            raise corrupt("pickle NEWOBJ arguments are not a tuple")
        push(cls.call.__new__(cls.call, *args, **(kwargs or {})))

    def append_to(target, items):
        if type(target) is not list:
            raise refuse(fname, f"Can only append to lists, but got {type(target).__name__}")
        target.extend(items)

    def set_items(target, items):
        if not isinstance(target, dict) or len(items) % 2:
            raise refuse(fname, f"Can only set items of dicts, but got {type(target).__name__}")
        for i in range(0, len(items), 2):
            target[items[i]] = items[i + 1]

    def add_items(target, items):
        if type(target) is not set:
            raise refuse(fname, f"Can only add items to sets, but got {type(target).__name__}")
        target.update(items)

    def put(i):
        memo[i] = stack[-1]

    def get(i):
        if i not in memo:
            raise corrupt(f"pickle memo entry {i} is missing")
        stack.append(memo[i])

    def persid(pid):
        stack.append(persistent_load(pid))

    def refused(name):
        def op():
            raise refuse(fname, f"Unsupported operand {name}")
        return op

    push = stack.append
    ops = {
        b"(": lambda: marks.append(len(stack)),
        b"0": lambda: stack.pop() if stack else pop_mark(),
        b"1": pop_mark,
        b"2": lambda: push(stack[-1]),
        b"N": lambda: push(None),
        b"\x88": lambda: push(True),
        b"\x89": lambda: push(False),
        b"I": int_line,
        b"J": lambda: push(unpack("<i")),
        b"K": lambda: push(take(1)[0]),
        b"M": lambda: push(unpack("<H")),
        b"L": lambda: push(int(line().rstrip(b"L"))),
        b"\x8a": lambda: push(int.from_bytes(take(take(1)[0]), "little", signed=True)),
        b"\x8b": lambda: push(int.from_bytes(take(unpack("<I")), "little", signed=True)),
        b"F": lambda: push(float(line())),
        b"G": lambda: push(unpack(">d")),
        b"S": lambda: push(quoted(line())),
        b"T": lambda: push(text(take(unpack("<I")))),
        b"U": lambda: push(text(take(take(1)[0]))),
        b"V": lambda: push(line().decode("raw-unicode-escape")),
        b"X": lambda: push(unicode(take(unpack("<I")))),
        b"\x8c": lambda: push(unicode(take(take(1)[0]))),
        b"\x8d": lambda: push(unicode(take(unpack("<Q")))),
        b"B": lambda: push(take(unpack("<I"))),
        b"C": lambda: push(take(take(1)[0])),
        b"\x8e": lambda: push(take(unpack("<Q"))),
        b"\x96": lambda: push(bytearray(take(unpack("<Q")))),
        b")": lambda: push(()),
        b"t": lambda: push(tuple(pop_mark())),
        b"\x85": lambda: stack.__setitem__(-1, (stack[-1],)),
        b"\x86": lambda: stack.__setitem__(slice(-2, None), [tuple(stack[-2:])]),
        b"\x87": lambda: stack.__setitem__(slice(-3, None), [tuple(stack[-3:])]),
        b"]": lambda: push([]),
        b"l": lambda: push(pop_mark()),
        b"a": lambda: append_to(stack[-2], [stack.pop()]),
        b"e": lambda: (lambda items: append_to(stack[-1], items))(pop_mark()),
        b"}": lambda: push({}),
        b"d": lambda: (lambda items: (push({}), set_items(stack[-1], items)))(pop_mark()),
        b"s": lambda: (lambda v, k: set_items(stack[-1], [k, v]))(stack.pop(), stack.pop()),
        b"u": lambda: (lambda items: set_items(stack[-1], items))(pop_mark()),
        b"\x8f": lambda: push(set()),
        b"\x90": lambda: (lambda items: add_items(stack[-1], items))(pop_mark()),
        b"\x91": lambda: push(frozenset(pop_mark())),
        b"c": lambda: glob(line().decode("utf-8"), line().decode("utf-8")),
        b"\x93": stack_global,
        b"R": reduce,
        b"b": build,
        b"p": lambda: put(int(line())),
        b"q": lambda: put(take(1)[0]),
        b"r": lambda: put(unpack("<I")),
        b"\x94": lambda: put(len(memo)),
        b"g": lambda: get(int(line())),
        b"h": lambda: get(take(1)[0]),
        b"j": lambda: get(unpack("<I")),
        b"P": lambda: persid(line().decode("ascii")),
        b"Q": lambda: persid(stack.pop()),
        b"\x95": lambda: unpack("<Q"),  # FRAME: a size hint only
        b"\x81": lambda: (lambda args, cls: new_object(cls, args))(stack.pop(), stack.pop()),
        b"\x92": lambda: (lambda kw, args, cls: new_object(cls, args, kw))(
            stack.pop(), stack.pop(), stack.pop()),
        b"i": refused("INST"), b"o": refused("OBJ"), b"\x82": refused("EXT1"), b"\x83": refused("EXT2"),
        b"\x84": refused("EXT4"), b"\x97": refused("NEXT_BUFFER"),
        b"\x98": refused("READONLY_BUFFER"),
    }

    # a budget on what the pickle builds: each opcode costs ~16 bytes of objects, each container
    # or memo entry ~64 more; a pickle of S bytes may build up to memory_limit(S) of them
    limit = memory_limit(size if size is not None else 0) if size is not None else None
    n_ops = n_big = 0
    while True:
        op = read(1)
        if not op:
            raise CheckpointError(f"{fname} is truncated: its pickle ends early")
        n_ops += 1
        if op in _BIG_OPS:
            n_big += 1
        if not n_ops & 0xFFFF and limit is not None and \
                16 * n_ops + 64 * (n_big + len(memo)) > limit:
            raise CheckpointError(
                f"{fname} is corrupted or hostile: its pickle builds more objects ({n_ops} "
                f"operations, {n_big} containers, {len(memo)} memo entries) than ember allows for "
                f"a file of {size} bytes ({limit >> 20} MiB)")
        if op == b".":
            if len(stack) != 1 or marks:
                raise corrupt("pickle STOP with a malformed stack")
            return stack[0]
        if op == b"\x80":
            proto = take(1)[0]
            if proto > 5:
                raise corrupt(f"unsupported pickle protocol {proto}")
            continue
        handler = ops.get(op)
        if handler is None:
            raise corrupt(f"unknown pickle opcode {op!r}")
        try:
            handler()
        except (IndexError, ValueError, TypeError, struct.error, UnicodeDecodeError,
                OverflowError, MemoryError) as e:
            raise corrupt(f"malformed pickle ({type(e).__name__}: {e})") from None
