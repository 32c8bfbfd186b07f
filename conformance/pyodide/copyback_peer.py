"""The CPython peer of conformance/pyodide/copyback.js: real CPython mmap on the shared file.

    python3 copyback_peer.py SHARED CMD ACK DEADLINE_S

Maps SHARED (MAP_SHARED, the whole file) with CPython's own mmap module and obeys the commands
that the Pyodide side leaves in the file CMD, one at a time, acknowledging each in the file ACK.
Both files are replaced whole (written to a temporary name, then renamed), so neither side ever
reads half a message.  A command is JSON:

    {"seq": k, "write": [[offset, hex], ...], "read": [[offset, length], ...], "quit": bool}

The writes are made through the map (m[o:o+n] = data), then the reads; the acknowledgement is
{"seq": k, "seen": [hex, ...], "sha256": hex of the whole map, "pid": ...}.  The peer polls
CMD (the poll interval is not a wait for anything: each wait has a deadline, DEADLINE_S) and
exits with status 3 when a command does not come in time.
"""
import hashlib
import json
import mmap
import os
import sys
import time


def main():
    shared, cmd, ack, deadline_s = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    with open(shared, 'r+b') as f:
        m = mmap.mmap(f.fileno(), 0)
    seq = 0
    answer(ack, {'seq': 0, 'seen': [], 'sha256': '', 'pid': os.getpid()})   # ready
    while True:
        seq += 1
        c = wait_for(cmd, seq, deadline_s)
        if c is None:
            sys.stderr.write('peer: no command %d within %s s\n' % (seq, deadline_s))
            sys.exit(3)
        for off, data in c.get('write', ()):
            b = bytes.fromhex(data)
            m[off:off + len(b)] = b
        seen = [m[off:off + n].hex() for off, n in c.get('read', ())]
        quit_ = bool(c.get('quit'))
        digest = hashlib.sha256(m).hexdigest()
        if quit_:
            m.close()
        answer(ack, {'seq': seq, 'seen': seen, 'sha256': digest, 'pid': os.getpid()})
        if quit_:
            return


def wait_for(path, seq, deadline_s):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            with open(path, 'rb') as f:
                c = json.loads(f.read())
        except (FileNotFoundError, ValueError):
            c = None
        if c is not None and c.get('seq') == seq:
            return c
        time.sleep(0.0005)
    return None


def answer(path, obj):
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(obj, f)
    os.replace(tmp, path)


if __name__ == '__main__':
    main()
