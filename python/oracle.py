#!/usr/bin/env python3
"""Differential oracle for pymmap: runs operation sequences through CPython's real mmap module.

Runs unchanged under CPython 3.7 .. 3.13 (and later).  Usage:

    python3 oracle.py [input.json] > output.json      (input from stdin when no file is given)

Input: {"sequences": [SEQ, ...], "timeout": 20} or a bare list of sequences.  The format is
described in conformance/differential/ops.ts (the TypeScript types are the specification);
in short:

    SEQ  = {"id": "s1", "files": [FILE, ...], "steps": [STEP, ...]}
    FILE = {"name": "f0", "hex": "616263"} | {"name": "f0", "size": 8192, "fill": 0}
         | {"name": "f0", "size": 8192, "ramp": true}       (byte i = i % 256)
         | {"name": "p0", "fifo": true}
    STEP = {"op": "open", "name": "fd0", "file": "f0", "mode": "r+"}   (or "dev": "zero"/"null",
                                                                        or "dir": true)
         | {"op": "closefd", "fd": "fd0"} | {"op": "truncate", "file": "f0", "size": 10}
         | {"op": "filesize", "file": "f0"}
         | {"op": "new", "name": "m0", "args": [V...], "kwargs": {k: V}}
         | {"op": "call", "obj": "m0", "method": "find", "args": [V...], "kwargs": {k: V}}
         | {"op": "getattr", "obj": "m0", "attr": "closed"}
         | {"op": "getitem"|"delitem", "obj": "m0", "key": V}
         | {"op": "setitem", "obj": "m0", "key": V, "value": V}
         | {"op": "len"|"repr"|"enter"|"exit", "obj": "m0"}
         | {"op": "contains", "obj": "m0", "value": V}
         | {"op": "iter", "obj": "m0", "limit": 64}
         | {"op": "pickle", "obj": "m0", "protocol": 2}
    V    = null | true | false | 12 (safe integer) | "text" (str)
         | {"int": "9223372036854775808"} | {"float": 1.5} | {"str": "x"}
         | {"bytes": "hex"} | {"bytearray": "hex"} | {"memoryview": "hex"} | {"list": [V...]}
         | {"fd": "fd0"} | {"ref": "m0"} | {"const": "MAP_SHARED|MAP_ANONYMOUS"}
         | {"slice": [V, V, V]}
         | {"index": {"value": V, "obj": "m0", "act": "close"|"resize"|"seek", "arg": 8}}
           (an object of class I whose __index__ closes, resizes or seeks m0 first: re-entrancy)

Output: {"python": "3.12.1", "pagesize": 4096, "results": [RESULT, ...]} with

    RESULT = {"id": "s1", "steps": [R, ...], "files": {"f0": CONTENT}, "crashed": null}
    R      = {"value": ENC} | {"error": {"type": "ValueError", "message": str(exc),
                                        "errno": "EBADF" (OSError only)}}
           | {"unbound": "m0"}            (the step names an object whose creation failed)
    ENC    = null | bool | safe int | str | [ENC...] | {"int": "..."} | {"float": "repr"}
           | {"bytes": hex} | {"bytes_len": n, "sha256": h, "head": hex} (more than 256 bytes)
           | {"ref": "m0"}  (a known mmap object, e.g. what __enter__ returns)
    CONTENT = {"size": n, "hex": h} (at most 256 bytes) | {"size": n, "sha256": h, "head": hex}
            | {"size": n, "sha256": null} (over 64 MiB) | {"missing": true}

Each sequence runs in a forked child process that streams one line per step; a child that dies
(SIGBUS after growing a shared anonymous map, SIGSEGV on a PROT_NONE map, timeout -> SIGALRM)
yields "crashed": "SIGBUS" with the results of the steps before the fatal one, and the other
sequences are unaffected.  File contents are read by the parent after the child has exited.
For "open" errors only type and errno are recorded (the message holds a temporary path).
repr() of <3.9 ("<mmap.mmap object at 0x7f..>") is normalized to "<mmap.mmap object at 0x?>".
"""
import errno
import hashlib
import json
import mmap
import os
import pickle
import re
import shutil
import signal
import sys
import tempfile
import traceback

SAFE = 2 ** 53 - 1
# Emscripten (Pyodide) and WASI have os.fork only as a stub that fails (ENOSYS)
NO_FORK = sys.platform in ("emscripten", "wasi") or not hasattr(os, "fork")
BIG_BYTES = 256
HASH_LIMIT = 64 * 1024 * 1024

OPEN_FLAGS = {
    "r": os.O_RDONLY,
    "r+": os.O_RDWR,
    "w": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
    "w+": os.O_RDWR | os.O_CREAT | os.O_TRUNC,
    "a": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
    "a+": os.O_RDWR | os.O_CREAT | os.O_APPEND,
    "x": os.O_WRONLY | os.O_CREAT | os.O_EXCL,
    "x+": os.O_RDWR | os.O_CREAT | os.O_EXCL,
}


class Unbound(Exception):
    def __init__(self, name):
        Exception.__init__(self, name)
        self.name = name


class OracleError(Exception):
    pass


def norm_mode(mode):
    m = mode.replace("b", "").replace("t", "")
    if m not in OPEN_FLAGS:
        raise OracleError("unknown open mode %r" % (mode,))
    return OPEN_FLAGS[m]


def enc_bytes(b):
    b = bytes(b)
    if len(b) <= BIG_BYTES:
        return {"bytes": b.hex()}
    return {"bytes_len": len(b), "sha256": hashlib.sha256(b).hexdigest(), "head": b[:32].hex()}


class Env(object):
    def __init__(self, tmpdir, files):
        self.tmpdir = tmpdir
        self.files = files          # name -> path
        self.fds = {}
        self.objs = {}

    def path(self, name):
        if name not in self.files:
            raise OracleError("unknown file %r" % (name,))
        return self.files[name]

    # -- values -----------------------------------------------------------------------------
    def dec(self, v):
        if v is None or isinstance(v, (bool, str, float)):
            return v
        if isinstance(v, int):
            return v
        if isinstance(v, list):
            return [self.dec(x) for x in v]
        if isinstance(v, dict):
            if len(v) != 1:
                raise OracleError("bad value %r" % (v,))
            (k, x), = v.items()
            if k == "int":
                return int(x)
            if k == "float":
                return float(x)
            if k == "str":
                return str(x)
            if k == "bytes":
                return bytes.fromhex(x)
            if k == "bytearray":
                return bytearray.fromhex(x)
            if k == "memoryview":
                return memoryview(bytes.fromhex(x))
            if k == "list":
                return [self.dec(y) for y in x]
            if k == "slice":
                return slice(*[self.dec(y) for y in x])
            if k == "fd":
                if x not in self.fds:
                    raise Unbound(x)
                return self.fds[x]
            if k == "ref":
                if x not in self.objs:
                    raise Unbound(x)
                return self.objs[x]
            if k == "index":
                return self.index_arg(x)
            if k == "const":
                r = 0
                for part in x.split("|"):
                    r |= getattr(mmap, part.strip())
                return r
            raise OracleError("bad value tag %r" % (k,))
        raise OracleError("bad value %r" % (v,))

    def index_arg(self, x):
        """{"index": {...}}: an object whose __index__ closes or resizes a map first."""
        val = self.dec(x["value"])
        objs, target, act, arg = self.objs, x["obj"], x["act"], x.get("arg")

        class I:
            def __index__(self):
                o = objs.get(target)
                if o is not None:
                    if act == "close":
                        o.close()
                    elif act == "seek":
                        o.seek(arg)
                    else:
                        o.resize(arg)
                return val
        return I()

    def enc(self, r):
        if r is None or isinstance(r, (bool, str)):
            return r
        if isinstance(r, int):
            return r if -SAFE <= r <= SAFE else {"int": str(r)}
        if isinstance(r, float):
            return {"float": repr(r)}
        if isinstance(r, (bytes, bytearray)):
            return enc_bytes(r)
        if isinstance(r, (list, tuple)):
            return [self.enc(x) for x in r]
        if isinstance(r, mmap.mmap):
            for name, o in self.objs.items():
                if o is r:
                    return {"ref": name}
            return {"ref": None}
        return {"repr": repr(r)}

    def obj(self, step):
        name = step["obj"]
        if name not in self.objs:
            raise Unbound(name)
        return self.objs[name]

    # -- steps ------------------------------------------------------------------------------
    def run(self, step):
        op = step["op"]
        if op == "open":
            if step.get("dev"):
                path = "/dev/" + step["dev"]
            elif step.get("dir"):
                path = self.tmpdir
            else:
                path = self.path(step["file"])
            flags = norm_mode(step.get("mode", "r+")) if not step.get("dir") else os.O_RDONLY
            self.fds[step["name"]] = os.open(path, flags, 0o644)
            return None
        if op == "closefd":
            if step["fd"] not in self.fds:
                raise Unbound(step["fd"])
            os.close(self.fds[step["fd"]])
            return None
        if op == "truncate":
            os.truncate(self.path(step["file"]), self.dec(step["size"]))
            return None
        if op == "filesize":
            return os.stat(self.path(step["file"])).st_size
        if op == "new":
            args = [self.dec(a) for a in step.get("args", [])]
            kwargs = dict((k, self.dec(a)) for k, a in step.get("kwargs", {}).items())
            self.objs.pop(step["name"], None)
            self.objs[step["name"]] = mmap.mmap(*args, **kwargs)
            return None
        m = self.obj(step)
        if op == "call":
            # Called as written in source, `m.method(a0, a1, key=k0)`: CPython's messages for
            # bad arguments depend on the call form (3.11+ name the type in keyword errors only
            # for this form), and pymmap follows this one.
            getattr(m, step["method"])  # Python looks the method up before the arguments
            args = [self.dec(a) for a in step.get("args", [])]
            kwargs = dict((k, self.dec(a)) for k, a in step.get("kwargs", {}).items())
            ns = {"m": m}
            parts = []
            for i, a in enumerate(args):
                ns["a%d" % i] = a
                parts.append("a%d" % i)
            for i, (k, v) in enumerate(kwargs.items()):
                ns["k%d" % i] = v
                parts.append("%s=k%d" % (k, i))
            src = "m.%s(%s)" % (step["method"], ", ".join(parts))
            return eval(compile(src, "<oracle>", "eval"), ns)
        if op == "getattr":
            return getattr(m, step["attr"])
        if op == "getitem":
            return m[self.dec(step["key"])]
        if op == "setitem":
            m[self.dec(step["key"])] = self.dec(step["value"])
            return None
        if op == "delitem":
            del m[self.dec(step["key"])]
            return None
        if op == "len":
            return len(m)
        if op == "contains":
            return self.dec(step["value"]) in m
        if op == "iter":
            limit = step.get("limit", 64)
            out = []
            it = iter(m)
            while len(out) < limit:
                try:
                    out.append(next(it))
                except StopIteration:
                    break
            return out
        if op == "repr":
            return re.sub(r" at 0x[0-9a-fA-F]+>", " at 0x?>", repr(m))
        if op == "enter":
            return m.__enter__()
        if op == "exit":
            return m.__exit__(None, None, None)
        if op == "pickle":
            return pickle.dumps(m, step.get("protocol", pickle.DEFAULT_PROTOCOL))
        raise OracleError("unknown op %r" % (op,))

    def step(self, step):
        try:
            r = self.run(step)
            return {"value": self.enc(r)}
        except Unbound as e:
            return {"unbound": e.name}
        except OracleError as e:
            return {"oracle_error": str(e)}
        except Exception as e:  # the recorded outcome
            if step.get("op") == "open" and isinstance(e, OSError):
                return {"error": {"type": type(e).__name__,
                                  "errno": errno.errorcode.get(e.errno, str(e.errno))}}
            err = {"type": type(e).__name__, "message": str(e)}
            if isinstance(e, OSError) and e.errno is not None:
                err["errno"] = errno.errorcode.get(e.errno, str(e.errno))
            return {"error": err}


def make_files(tmpdir, specs):
    files = {}
    for f in specs:
        path = os.path.join(tmpdir, f["name"])
        files[f["name"]] = path
        if f.get("fifo"):
            os.mkfifo(path)
            continue
        if "hex" in f:
            data = bytes.fromhex(f["hex"])
        elif f.get("ramp"):
            data = bytes(i % 256 for i in range(f["size"]))
        else:
            data = bytes([f.get("fill", 0)]) * f["size"]
        with open(path, "wb") as fp:
            fp.write(data)
    return files


def file_content(path):
    if not os.path.lexists(path):
        return {"missing": True}
    st = os.stat(path)
    import stat
    if not stat.S_ISREG(st.st_mode):
        return {"special": True}
    size = st.st_size
    if size > HASH_LIMIT:
        return {"size": size, "sha256": None}
    with open(path, "rb") as fp:
        data = fp.read()
    if len(data) <= BIG_BYTES:
        return {"size": size, "hex": data.hex()}
    return {"size": size, "sha256": hashlib.sha256(data).hexdigest(), "head": data[:32].hex()}


def signame(n):
    try:
        return signal.Signals(n).name
    except ValueError:
        return "SIG%d" % n


def run_inprocess(seq, tmpdir, files):
    """Where there is no fork (Pyodide: CPython's mmapmodule.c over Emscripten's emulation), in
    this process: a crash ends the whole run.  The maps still open at the end are closed, as the
    child's exit unmaps them (the emulation writes a shared map back to the file on munmap)."""
    env = Env(tmpdir, files)
    steps = []
    try:
        for st in seq.get("steps", []):
            steps.append(json.loads(json.dumps(env.step(st))))
    except BaseException:
        steps.append({"oracle_error": traceback.format_exc()})
    for o in list(env.objs.values()):
        if isinstance(o, mmap.mmap):
            try:
                o.close()
            except BaseException:
                pass
    for fd in list(env.fds.values()):
        try:
            os.close(fd)
        except BaseException:
            pass
    env = None
    return {"id": seq.get("id"), "steps": steps, "crashed": None,
            "files": dict((name, file_content(path)) for name, path in sorted(files.items()))}


def run_sequence(seq, timeout):
    tmpdir = tempfile.mkdtemp(prefix="pymmap-oracle-")
    try:
        if NO_FORK:
            try:
                files = make_files(tmpdir, seq.get("files", []))
            except (OSError, AttributeError):         # (no os.mkfifo in Emscripten)
                return {"id": seq.get("id"), "steps": [{"oracle_error": traceback.format_exc()}],
                        "crashed": None, "files": {}}
            return run_inprocess(seq, tmpdir, files)
        files = make_files(tmpdir, seq.get("files", []))
        rfd, wfd = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # child
            code = 0
            try:
                os.close(rfd)
                signal.signal(signal.SIGALRM, signal.SIG_DFL)
                signal.alarm(timeout)
                env = Env(tmpdir, files)
                for st in seq.get("steps", []):
                    line = json.dumps(env.step(st)) + "\n"
                    data = line.encode()
                    while data:
                        n = os.write(wfd, data)
                        data = data[n:]
            except BaseException:
                try:
                    os.write(wfd, (json.dumps({"oracle_error": traceback.format_exc()}) + "\n").encode())
                except BaseException:
                    pass
                code = 70
            os._exit(code)
        os.close(wfd)
        chunks = []
        with os.fdopen(rfd, "rb") as rp:
            while True:
                c = rp.read(65536)
                if not c:
                    break
                chunks.append(c)
        _, status = os.waitpid(pid, 0)
        steps = [json.loads(l) for l in b"".join(chunks).decode().splitlines() if l.strip()]
        crashed = None
        if os.WIFSIGNALED(status):
            crashed = signame(os.WTERMSIG(status))
        elif os.WEXITSTATUS(status) != 0:
            crashed = "exit %d" % os.WEXITSTATUS(status)
        out = {"id": seq.get("id"), "steps": steps, "crashed": crashed,
               "files": dict((name, file_content(path)) for name, path in sorted(files.items()))}
        return out
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def main(argv):
    if len(argv) > 1 and argv[1] not in ("-",):
        with open(argv[1]) as fp:
            doc = json.load(fp)
    else:
        doc = json.load(sys.stdin)
    if isinstance(doc, list):
        doc = {"sequences": doc}
    timeout = int(doc.get("timeout", 20))
    results = [run_sequence(seq, timeout) for seq in doc["sequences"]]
    out = {
        "python": "%d.%d.%d" % sys.version_info[:3],
        "implementation": sys.implementation.name,
        "pagesize": mmap.PAGESIZE,
        "results": results,
    }
    sys.stdout.write(json.dumps(out))
    sys.stdout.write("\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
