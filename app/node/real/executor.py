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
MALLOPT = {"M_TRIM_THRESHOLD": -1, "M_TOP_PAD": -2, "M_MMAP_THRESHOLD": -3}
ADVICE = {"dontneed": 4, "free": 8, "willneed": 3}

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
    # warm the interpreter's own allocator up, so its arenas are in place before the first step
    scratch = [bytes(64) for _ in range(2000)]
    del scratch
    while True:
        av = read_line().split(" ")
        c = av[0]
        ctypes.set_errno(0)
        if c in ("malloc", "calloc"):
            n = int(av[2], 0)
            p = libc.malloc(n) if c == "malloc" else libc.calloc(1, n)
            table[av[1]] = [p or 0, n if p else 0, 0, 0]
            ok("addr", hex(p or 0))
        elif c == "realloc":
            o = table.get(av[1])
            if o is None:
                err("no such allocation"); continue
            n = int(av[3], 0)
            p = libc.realloc(o[0], n)
            if not p:
                ok("addr", "0x0"); continue
            if av[2] != av[1]:
                del table[av[1]]
            table[av[2]] = [p, n, 0, 0]
            ok("addr", hex(p))
        elif c == "free":
            a = table.get(av[1])
            if a is None:
                err("no such allocation"); continue
            libc.free(a[0])
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
            ok("brk", hex(libc.sbrk(0)))
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
            ok("released", libc.malloc_trim(int(av[1], 0)))
        elif c == "mallopt":
            ok("ret", libc.mallopt(MALLOPT.get(av[1], -2), int(av[2], 0)))
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
