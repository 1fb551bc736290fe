"""memlab's real executor in Python 3, for machines without a C compiler.

The same protocol as executor.c: connect to memlab's Unix socket, say "hello NAME PID", then do one
command per line through libc (ctypes) and answer one line. It dies with memlab (PR_SET_PDEATHSIG
for the launcher, EOF on the socket for every process).

The interpreter has used glibc's heap before the first step: the first malloc of a scenario finds
the heap already set up, which a fresh C program would not. memlab says so beside the results.
"""
import ctypes
import os
import signal
import socket
import sys

libc = ctypes.CDLL(None, use_errno=True)
VP, SZ = ctypes.c_void_p, ctypes.c_size_t
for name, res, args in [
    ("malloc", VP, [SZ]), ("calloc", VP, [SZ, SZ]), ("realloc", VP, [VP, SZ]), ("free", None, [VP]),
    ("mmap", VP, [VP, SZ, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]),
    ("munmap", ctypes.c_int, [VP, SZ]), ("sbrk", VP, [ctypes.c_long]),
    ("mlock", ctypes.c_int, [VP, SZ]), ("munlock", ctypes.c_int, [VP, SZ]),
    ("mlockall", ctypes.c_int, [ctypes.c_int]), ("munlockall", ctypes.c_int, []),
    ("madvise", ctypes.c_int, [VP, SZ, ctypes.c_int]), ("malloc_trim", ctypes.c_int, [SZ]),
    ("mallopt", ctypes.c_int, [ctypes.c_int, ctypes.c_int]),
    ("prctl", ctypes.c_int, [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]),
]:
    f = getattr(libc, name)
    f.restype, f.argtypes = res, args

PAGE = os.sysconf("SC_PAGE_SIZE")
MAP_FAILED = (1 << 64) - 1
PROT = {"r": 1, "w": 2, "x": 4}
INTERP_TOP_PAD = 16 * 1024 * 1024
MALLOPT = {"M_TRIM_THRESHOLD": -1, "M_TOP_PAD": -2, "M_MMAP_THRESHOLD": -3}
ADVICE = {"dontneed": 4, "free": 8, "willneed": 3}

# ---------------------------------------------------------------------------------------------
# The scenario's malloc. The interpreter has used glibc's heap long before the first step, so a
# scenario's mallocs through that glibc would find the heap set up (no first brk) and the
# thresholds wherever the interpreter left them. Instead the scenario's allocations go to an arena
# of their own that follows glibc 2.3x malloc/malloc.c (main arena, 64-bit) and asks the kernel for
# memory the way glibc does: brk (sbrk) below M_MMAP_THRESHOLD with M_TOP_PAD, mmap at or above it,
# munmap on free with the dynamic threshold, systrim past M_TRIM_THRESHOLD, malloc_trim's
# MADV_DONTNEED. Every system call is real; the policy is glibc's, carried out here. The C executor
# runs glibc itself, and the tests hold the two to the same system calls.
# ---------------------------------------------------------------------------------------------
SIZE_SZ, MALLOC_ALIGNMENT, MINSIZE = 8, 16, 32
DEFAULT_MMAP_THRESHOLD_MAX = 32 * 1024 * 1024
FASTBIN_CONSOLIDATION_THRESHOLD = 64 * 1024
TCACHE_MAX_CHUNK, TCACHE_COUNT, TCACHE_STRUCT_SIZE = 1040, 7, 640
MAP_ANON_PRIVATE = 0x22


def request2size(req):
    return max(MINSIZE, (req + SIZE_SZ + MALLOC_ALIGNMENT - 1) // MALLOC_ALIGNMENT * MALLOC_ALIGNMENT)


def align_up(x, a):
    return -(-x // a) * a


def align_down(x, a):
    return x // a * a


class Chunk:
    __slots__ = ("addr", "size", "free", "tc")

    def __init__(self, addr, size, free=False):
        self.addr, self.size, self.free, self.tc = addr, size, free, False


class Arena:
    def __init__(self):
        self.mmap_threshold = 128 * 1024
        self.trim_threshold = 128 * 1024
        self.top_pad = 128 * 1024
        self.no_dyn = False
        self.chunks = {}     # heap chunks by address (not the top)
        self.free_set = set()
        self.mmapped = {}    # address -> size
        self.tcache = {}     # chunk size -> [address]
        self.tcache_ready = False
        self.heap_start = self.top = self.brk = 0

    def header(self, addr, size):
        """glibc writes a chunk's size field: the page it sits on becomes resident"""
        ctypes.c_size_t.from_address(addr + SIZE_SZ).value = size | 1

    def sbrk(self, delta):
        old = libc.sbrk(delta)
        return None if old is None or old == MAP_FAILED else old

    def malloc(self, req):
        """(pointer or 0, whether calloc must clear it)"""
        if not self.tcache_ready:
            self.tcache_ready = True
            self.inner(TCACHE_STRUCT_SIZE)
        return self.inner(req)

    def inner(self, req):
        nb = request2size(req)
        tc = self.tcache.get(nb)
        if tc:
            c = self.chunks[tc.pop()]
            c.tc = False
            return c.addr + 2 * SIZE_SZ, True
        best = None
        for c in self.free_set:
            if c.size >= nb and (best is None or c.size < best.size or (c.size == best.size and c.addr < best.addr)):
                best = c
        if best is not None:
            if best.size - nb >= MINSIZE:
                rest = Chunk(best.addr + nb, best.size - nb, True)
                self.chunks[rest.addr] = rest
                self.free_set.add(rest)
                best.size = nb
                self.header(rest.addr, rest.size)
            best.free = False
            self.free_set.discard(best)
            self.header(best.addr, best.size)
            return best.addr + 2 * SIZE_SZ, True
        if self.heap_start and self.brk - self.top >= nb + MINSIZE:
            return self.from_top(nb), False
        if nb >= self.mmap_threshold:
            size = align_up(nb + SIZE_SZ, PAGE)
            p = libc.mmap(None, size, 3, MAP_ANON_PRIVATE, -1, 0)
            if p is not None and p != MAP_FAILED:
                self.mmapped[p] = size
                self.header(p, size)
                return p + 2 * SIZE_SZ, False
            # mmap failed: glibc falls back to the heap
        cur = self.sbrk(0)
        if not self.heap_start or cur != self.brk:
            # the first heap, or someone else moved the break (glibc's "foreign sbrk"): a new top there
            start = align_up(cur, MALLOC_ALIGNMENT)
            size = align_up(nb + self.top_pad + MINSIZE + (start - cur), PAGE)
            if self.sbrk(size) is None:
                return 0, False
            if not self.heap_start:
                self.heap_start = start
            self.top, self.brk = start, cur + size
        else:
            size = align_up(nb + self.top_pad + MINSIZE - (self.brk - self.top), PAGE)
            if self.sbrk(size) is None:
                return 0, False
            self.brk += size
        return self.from_top(nb), False

    def from_top(self, nb):
        c = Chunk(self.top, nb)
        self.chunks[c.addr] = c
        self.top += nb
        self.header(c.addr, nb)
        self.header(self.top, self.brk - self.top)
        return c.addr + 2 * SIZE_SZ

    def usable(self, ptr):
        a = ptr - 2 * SIZE_SZ
        if a in self.mmapped:
            return self.mmapped[a] - 16, True
        c = self.chunks.get(a)
        return (c.size - 8, False) if c else (0, False)

    def free(self, ptr):
        addr = ptr - 2 * SIZE_SZ
        if addr in self.mmapped:
            size = self.mmapped.pop(addr)
            if not self.no_dyn and self.mmap_threshold < size <= DEFAULT_MMAP_THRESHOLD_MAX:
                self.mmap_threshold = size
                self.trim_threshold = 2 * size
            libc.munmap(addr, size)
            return
        c = self.chunks.get(addr)
        if c is None or c.free or c.tc:
            return
        if c.size <= TCACHE_MAX_CHUNK:
            b = self.tcache.setdefault(c.size, [])
            if len(b) < TCACHE_COUNT:
                b.append(c.addr)
                c.tc = True
                return
        c.free = True
        self.free_set.add(c)
        merged = c
        nxt = self.chunks.get(c.addr + c.size)
        if nxt is not None and nxt.free:
            c.size += nxt.size
            del self.chunks[nxt.addr]
            self.free_set.discard(nxt)
        for p in self.free_set:
            if p is not c and p.addr + p.size == c.addr:
                p.size += c.size
                del self.chunks[c.addr]
                self.free_set.discard(c)
                merged = p
                break
        if merged.addr + merged.size == self.top:
            del self.chunks[merged.addr]
            self.free_set.discard(merged)
            self.top = merged.addr
        if (merged.size >= FASTBIN_CONSOLIDATION_THRESHOLD or self.top == merged.addr) and self.brk - self.top >= self.trim_threshold:
            self.systrim(self.top_pad)

    def systrim(self, pad):
        extra = align_down(self.brk - self.top - pad - MINSIZE - 1, PAGE)
        if extra <= 0 or self.sbrk(0) != self.brk:
            return 0
        if self.sbrk(-extra) is None:
            return 0
        self.brk -= extra
        return extra

    def trim(self, pad):
        """malloc_trim: consolidate, trim the top, MADV_DONTNEED whole free pages inside the heap"""
        for b in self.tcache.values():
            for a in b:
                c = self.chunks.get(a)
                if c is not None:
                    c.tc, c.free = False, True
                    self.free_set.add(c)
        self.tcache.clear()
        for c in sorted(self.chunks.values(), key=lambda x: x.addr):
            if not c.free or c.addr not in self.chunks:
                continue
            n = self.chunks.get(c.addr + c.size)
            while n is not None and n.free:
                c.size += n.size
                del self.chunks[n.addr]
                self.free_set.discard(n)
                n = self.chunks.get(c.addr + c.size)
            if c.addr + c.size == self.top:
                del self.chunks[c.addr]
                self.free_set.discard(c)
                self.top = c.addr
        released = self.systrim(pad)
        for c in self.free_set:
            start = align_up(c.addr + 4 * SIZE_SZ, PAGE)
            end = align_down(c.addr + c.size, PAGE)
            if end - start >= PAGE:
                libc.madvise(start, end - start, 4)
                released += end - start
        return 1 if released else 0


arena = Arena()

table = {}  # name -> [addr, size, chunk, mapped]
state = {"sock": None, "rbuf": b"", "stack_used": 12 * 1024}
IOBUF = bytearray(1 << 16)
ONE = b"\x01"


def say(text):
    try:
        state["sock"].sendall(text.encode() + b"\n")
    except OSError:
        os._exit(0)


def ok(k, v):
    say("ok %s=%s" % (k, v))


def err(why):
    e = ctypes.get_errno()
    say("err %s (errno %d: %s)" % (why, e, os.strerror(e)))


def connect_home(path, name):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
    except OSError:
        os._exit(111)
    state["sock"] = s
    state["rbuf"] = b""
    warm()
    say("hello %s %d" % (name, os.getpid()))


def read_line():
    while b"\n" not in state["rbuf"]:
        try:
            d = state["sock"].recv(8192)
        except InterruptedError:
            continue
        except OSError:
            d = b""
        if not d:
            os._exit(0)
        state["rbuf"] += d
    line, _, rest = state["rbuf"].partition(b"\n")
    state["rbuf"] = rest
    return line.decode()


def touch(addr, length, stride, write, repeat):
    """pages at page(addr), +stride, ... below addr+length, like the simulator"""
    first = addr & ~(PAGE - 1)
    last = addr + length
    for r in range(repeat):
        p = first
        while p < last:
            q = addr if p < addr else p
            if write:
                ctypes.memset(q, r + 1, 1)
            else:
                ctypes.c_char.from_address(q).value
            p += stride


SCRATCH = []


def warm():
    """run the step loop's own code once, so the interpreter's pages it writes are private (after
    fork they are shared copy-on-write: the first write to each would count as the step's fault)"""
    if not SCRATCH:
        SCRATCH.append(libc.malloc(64 * PAGE))
    for w in (1, 0):
        touch(SCRATCH[0], 64 * PAGE, PAGE, w, 2)
    "touch x 0 -1 4096 1 1".split(" ")
    int("0x10", 0), hex(12345)


def stack_top():
    with open("/proc/self/maps") as f:
        for line in f:
            if line.rstrip().endswith("[stack]"):
                return int(line.split("-")[1].split()[0], 16)
    return 0


def stack_sp():
    with open("/proc/self/syscall") as f:
        parts = f.read().split()
    return int(parts[-2], 16) if len(parts) >= 3 else 0


def main():
    if len(sys.argv) < 3:
        sys.stderr.write("usage: executor.py SOCKET NAME (started by memlab)\n")
        return 2
    parent = os.getppid()
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(0)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    path = sys.argv[1]
    connect_home(path, sys.argv[2])
    # warm the interpreter's own allocator up, so its arenas are in place before the first step, and
    # give its glibc heap room enough (M_TOP_PAD, never trimmed) that it makes no brk of its own
    # while the scenario runs: the break then moves only for the scenario's arena
    libc.mallopt(MALLOPT["M_TRIM_THRESHOLD"], 1 << 30)
    libc.mallopt(MALLOPT["M_TOP_PAD"], INTERP_TOP_PAD)
    end = libc.sbrk(0)
    held = []
    while libc.sbrk(0) == end and len(held) < 4096:
        held.append(libc.malloc(64 * 1024))
    for p in held:
        libc.free(p)
    scratch = [bytes(64) for _ in range(2000)]
    del scratch
    while True:
        av = read_line().split(" ")
        c = av[0]
        ctypes.set_errno(0)
        if c in ("malloc", "calloc"):
            n = int(av[2], 0)
            p, dirty = arena.malloc(n)
            if p and c == "calloc" and dirty:
                ctypes.memset(p, 0, n)
            table[av[1]] = [p, n if p else 0, 0, 0]
            ok("addr", hex(p))
        elif c == "realloc":
            o = table.get(av[1])
            if o is None:
                err("no such allocation"); continue
            n = int(av[3], 0)
            usable, mapped = arena.usable(o[0]) if o[0] else (0, False)
            if o[0] and n <= usable and not mapped:
                p = o[0]
            else:
                p, _ = arena.malloc(n)
                if not p:
                    ok("addr", "0x0"); continue
                if o[0]:
                    ctypes.memmove(p, o[0], min(o[1], n))
                    arena.free(o[0])
            if av[2] != av[1]:
                del table[av[1]]
            table[av[2]] = [p, n, 0, 0]
            ok("addr", hex(p))
        elif c == "free":
            a = table.get(av[1])
            if a is None:
                err("no such allocation"); continue
            if a[0]:
                arena.free(a[0])
            ok("freed", 1)
        elif c == "touch":
            a = table.get(av[1])
            if a is None:
                err("no such allocation"); continue
            off, length = int(av[2], 0), int(av[3], 0)
            if length < 0:
                length = max(0, a[1] - off)
            if not a[0]:
                os.kill(os.getpid(), signal.SIGSEGV)
            touch(a[0] + off, length, int(av[4], 0), int(av[5]), int(av[6]))
            ok("touched", length)
        elif c == "mmap":
            n = int(av[2], 0)
            prot = 0 if av[3] == "none" else sum(PROT[ch] for ch in av[3])
            flags = (1 if av[4] == "1" else 2) | (0x8000 if av[5] == "1" else 0)
            off = int(av[6], 0)
            fd = -1
            if av[7] != "-":
                fd = os.open(av[7], os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                if os.fstat(fd).st_size < off + n:
                    os.ftruncate(fd, off + n)
            else:
                flags |= 0x20
            p = libc.mmap(None, n, prot, flags, fd, off)
            if fd >= 0:
                os.close(fd)
            if p is None or p == MAP_FAILED:
                table[av[1]] = [0, 0, 0, 1]
                err("mmap"); continue
            table[av[1]] = [p, n, n, 1]
            ok("addr", hex(p))
        elif c == "munmap":
            a = table.get(av[1])
            if a is None:
                err("no such allocation"); continue
            off, length = int(av[2], 0), int(av[3], 0)
            if length < 0:
                length = a[2] - off
            if libc.munmap(a[0] + off, length) < 0:
                err("munmap"); continue
            ok("unmapped", length)
        elif c == "brk":
            if libc.sbrk(int(av[1], 0)) == MAP_FAILED:
                err("sbrk"); continue
            end = libc.sbrk(0)
            if arena.heap_start and end > arena.brk:
                arena.brk = end  # the top chunk grows with the break, as the simulator has it
            ok("brk", hex(end))
        elif c == "fork":
            pid = os.fork()
            if pid == 0:
                state["sock"].close()
                connect_home(path, av[1])
                continue
            ok("pid", pid)
        elif c == "exit":
            os._exit(int(av[1], 0))
        elif c in ("mlock", "munlock"):
            a = table.get(av[1])
            if a is None:
                err("no such allocation"); continue
            length = int(av[2], 0) if len(av) > 2 else -1
            if length < 0:
                length = a[1]
            if (libc.mlock if c == "mlock" else libc.munlock)(a[0], length) < 0:
                err(c); continue
            ok("locked", length)
        elif c == "mlockall":
            f = {"current": 1, "future": 2}.get(av[1], 3)
            if libc.mlockall(f) < 0:
                err("mlockall"); continue
            ok("flags", f)
        elif c == "munlockall":
            if libc.munlockall() < 0:
                err("munlockall"); continue
            ok("done", 1)
        elif c == "alloca":
            # Python cannot alloca: touch the stack's pages below where the interpreter's frames
            # reach (with a margin), which the kernel grows the stack for up to RLIMIT_STACK
            n = int(av[1], 0)
            top = stack_top()
            used = max(state["stack_used"], top - stack_sp() + 256 * 1024)
            low = top - used - n
            touch(low, n, PAGE, 1, 1)
            state["stack_used"] = used + n
            ok("stack", state["stack_used"])
        elif c == "malloc_trim":
            ok("released", arena.trim(int(av[1], 0)))
        elif c == "mallopt":
            v = int(av[2], 0)
            if av[1] == "M_MMAP_THRESHOLD":
                arena.mmap_threshold, arena.no_dyn = v, True
            elif av[1] == "M_TRIM_THRESHOLD":
                arena.trim_threshold, arena.no_dyn = v, True
            else:
                arena.top_pad = v
            ok("ret", 1)
        elif c == "madvise":
            a = table.get(av[1])
            if a is None:
                err("no such allocation"); continue
            if libc.madvise(a[0] + int(av[2], 0), int(av[3], 0), ADVICE.get(av[4], 4)) < 0:
                err("madvise"); continue
            ok("done", 1)
        elif c in ("read", "write"):
            wr = c == "write"
            fd = os.open(av[1], (os.O_WRONLY if wr else os.O_RDWR) | os.O_CREAT | os.O_CLOEXEC, 0o600)
            n, done = int(av[2], 0), 0
            if not wr and os.fstat(fd).st_size < n:
                os.ftruncate(fd, n)
            view = memoryview(IOBUF)
            while done < n:
                k = min(len(IOBUF), n - done)
                r = os.write(fd, view[:k]) if wr else os.readv(fd, [view[:k]])
                if r <= 0:
                    break
                done += r
            os.close(fd)
            ok("bytes", done)
        elif c == "oom_score_adj":
            try:
                with open("/proc/self/oom_score_adj", "w") as f:
                    f.write(av[1])
            except OSError as e:
                ctypes.set_errno(e.errno or 0)
                err("oom_score_adj"); continue
            ok("done", 1)
        elif c == "sleep":
            import time
            time.sleep(int(av[1], 0) / 1000)
            ok("slept", av[1])
        elif c == "thp_disable":
            if libc.prctl(41, 1, 0, 0, 0) < 0:  # PR_SET_THP_DISABLE
                err("prctl"); continue
            ok("done", 1)
        elif c == "ping":
            ok("pid", os.getpid())
        else:
            ctypes.set_errno(22)
            err("unknown command")


if __name__ == "__main__":
    sys.exit(main())
