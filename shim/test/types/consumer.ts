// A TypeScript consumer of the packed package (shim/test/types.test.ts compiles it with
// `tsc --noEmit`, strict, module nodenext, as consumer.cts and consumer.mts): every plain call
// must compile, every call marked @ts-expect-error must not (an unused marker is an error too).
import {
  ACCESS_COPY, ACCESS_READ, MAP_PRIVATE, PAGESIZE, error, mmap, slice,
  type BufferExport, type BytesLike, type Index, type MmapOptions,
} from 'pymmap';
import { BufferError, OSError, ValueError, slice as builtinSlice } from 'pymmap/builtins';
import { addaudithook } from 'pymmap/sys';
import { defaultVersion, moduleFor, versions, type Version } from 'pymmap/versions';
import { installMmap, type InstallMmapOptions } from 'pymmap/pyodide';

// ---- mmap is a type and a value
function size(m: mmap): number {
  return m.__len__();
}
const m: mmap = new mmap(-1, PAGESIZE);
size(m);
class Sub extends mmap {}
size(new Sub(-1, 16));

// ---- the constructor: POSIX and Windows forms, keyword objects
new mmap(-1, 16, { flags: MAP_PRIVATE });
new mmap(-1, 16, MAP_PRIVATE);
new mmap(-1, 16, MAP_PRIVATE, 3, { offset: 0 });
new mmap(3, 0, { access: ACCESS_READ, offset: PAGESIZE, trackfd: false });
new mmap(-1, 10n);
new mmap(-1, { length: 10 });
new mmap({ fileno: -1, length: 10 });
new mmap(-1, { __index__: () => 10 });
new mmap(-1, 16, 'tagname');
new mmap(-1, 16, null, ACCESS_COPY, 0);
new mmap(-1, 16, { tagname: 'shared' });
const options: MmapOptions = { access: ACCESS_READ };
new mmap(3, 0, options);
// @ts-expect-error fileno and length are required
new mmap();
// @ts-expect-error length is an int
new mmap(-1, '16');
// @ts-expect-error no such keyword
new mmap(-1, 16, { flag: 1 });
// @ts-expect-error trackfd is a bool
new mmap(-1, 16, { trackfd: 'no' });
// @ts-expect-error flags given twice
new mmap(-1, 16, MAP_PRIVATE, { flags: MAP_PRIVATE });

// ---- indexing
const byte: number = m.__getitem__(0);
const byteBig: number = m.__getitem__(0n);
const byteIndex: number = m.__getitem__({ __index__: () => 1 });
const bytes: Buffer = m.__getitem__(new slice(0, 4));
const stepped: Buffer = m.__getitem__(new slice(null, null, 2));
const head: Buffer = m.__getitem__(new slice(4));
// @ts-expect-error a slice gives bytes
const notByte: number = m.__getitem__(new slice(0, 4));
// @ts-expect-error an index gives an int
const notBytes: Buffer = m.__getitem__(0);
// @ts-expect-error strings are not indices
m.__getitem__('0');
m.__setitem__(0, 255);
m.__setitem__(new slice(0, 2), Buffer.from('ab'));
m.__setitem__(new slice(0, 2), new Uint16Array(1));
// @ts-expect-error a slice takes bytes
m.__setitem__(new slice(0, 2), 5);
// @ts-expect-error an index takes an int
m.__setitem__(0, Buffer.from('a'));
// @ts-expect-error slice bounds are ints or None
new slice('a', 'b');

// ---- methods
const at: number = m.find(Buffer.from('x'));
m.find(Buffer.from('x'), 0, null);
m.rfind(new Uint8Array(1), -1);
m.find(m);
const needle: BytesLike = new ArrayBuffer(2);
m.find(needle);
// @ts-expect-error str is not bytes-like
m.find('needle');
// @ts-expect-error start is an int
m.find(Buffer.from('x'), '0');
const pos: number = m.seek(0, 2);
// @ts-expect-error whence is an int
m.seek(0, 'end');
// @ts-expect-error pos is required
m.seek();
const r1: Buffer = m.read();
m.read(5);
m.read(null);
const line: Buffer = m.readline();
const b1: number = m.read_byte();
const n: number = m.write(Buffer.from('x'));
// @ts-expect-error str is not bytes-like
m.write('x');
m.write_byte(0x41);
m.flush();
m.flush(0);
m.flush(0, PAGESIZE);
m.flush({ flags: 4 });
m.flush(0, null, { flags: 4 });
// @ts-expect-error offset and size are positional-only
m.flush({ offset: 0 });
m.madvise(0);
m.madvise(0, 0, null);
m.move(0, 1, 2);
m.resize(2 * PAGESIZE);
const total: number = m.size();
const where: number = m.tell();
const canSeek: boolean = m.seekable();
m.set_name?.('mine');
const closed: boolean = m.closed;
// @ts-expect-error closed is read-only
m.closed = true;
// @ts-expect-error internals are not part of the type
m._id;
// @ts-expect-error no method of that name
m.length;

// ---- Python protocols
const e: BufferExport = m.__buffer__(0);
const view: Uint8Array = e.view;
e.check();
e.release();
m.__release_buffer__(e);
for (const b of m) {
  const one: Buffer = b;
}
const present: boolean = m.__contains__(Buffer.from('a'));
const repr: string = m.__repr__();
const same: mmap = m.__enter__();
m.__exit__(null, null, null);
{
  using scoped = new mmap(-1, 16);
  scoped.write_byte(1);
}
const pickle = () => m.__reduce_ex__(2); // never returns: it always raises
// @ts-expect-error the protocol is required
const pickleNoProtocol = () => m.__reduce_ex__();
const del = () => m.__delitem__(0);

// ---- versions: what a version lacks is absent from its type
const m37 = new (moduleFor('3.7').mmap)(-1, 16);
// @ts-expect-error no madvise in 3.7
m37.madvise(0);
// @ts-expect-error no seekable before 3.13
m37.seekable();
const s37: null = m37.seek(0);
const m313 = new (moduleFor('3.13').mmap)(-1, 16);
const s313: number = m313.seek(0);
m313.madvise(0);
// @ts-expect-error set_name is 3.15's
m313.set_name('x');
const some: string = versions[0];
const v = '3.12' as string;
const mv = new (moduleFor(v).mmap)(-1, 16);
mv.madvise?.(0);
// @ts-expect-error may be absent in a version not known statically
mv.madvise(0);
const latest: Version = defaultVersion;

// ---- errors, audit hooks, Pyodide
try {
  m.close();
} catch (err) {
  if (err instanceof BufferError) err.message.toUpperCase();
  if (err instanceof ValueError) err.args.length;
  if (err instanceof OSError) {
    const errno: number | null = err.errno;
  }
}
const sameError: typeof OSError = error;
const sameSlice: typeof slice = builtinSlice;
addaudithook((event: string, args: unknown[]) => undefined);
// @ts-expect-error hooks are functions
addaudithook('hook');
const opts: InstallMmapOptions = { strict: true, zeroCopy: false };
const install: typeof installMmap = installMmap;
// @ts-expect-error an int is not an Index object
const bad: Index = { __index__: () => 'one' };
