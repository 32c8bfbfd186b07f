/**
 * Python's built-in exceptions (the ones the mmap module raises, with Python's hierarchy) and
 * `slice`.
 * @module pymmap/builtins
 */
//
// `err.name` is the Python type name and `err.message` is CPython's `str(exc)`. TypeError
// extends the JS TypeError and IndexError/OverflowError extend RangeError so plain JS code can
// catch them naturally; `instanceof` follows Python's hierarchy for every class here
// (e.g. `new PermissionError(...) instanceof OSError`, `new TypeError_() instanceof Exception`).

const PY_MRO = Symbol.for('pymmap.pyMro');

type AnyCtor = abstract new (...args: any[]) => any;

/** `x instanceof Cls` along Python's hierarchy (a type predicate, so that `instanceof` narrows). */
function pyHasInstance<T extends AnyCtor>(this: T, x: unknown): x is InstanceType<T> {
  if (x === null || (typeof x !== 'object' && typeof x !== 'function')) return false;
  const mro = (x as any)[PY_MRO] as ReadonlySet<AnyCtor> | undefined;
  if (mro && mro.has(this)) return true;
  return Function.prototype[Symbol.hasInstance].call(this, x);
}

function strOfArgs(args: unknown[]): string {
  if (args.length === 0) return '';
  if (args.length === 1) return pyStr(args[0]);
  return '(' + args.map(pyRepr).join(', ') + ')';
}

/** Python's str() of a simple value (enough for exception arguments). */
export function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  return pyRepr(v);
}

/** Python's repr() of a simple value. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') {
    const q = v.includes("'") && !v.includes('"') ? '"' : "'";
    let s = v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
    if (q === "'") s = s.replace(/'/g, "\\'");
    return q + s + q;
  }
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : floatRepr(v);
  if (v instanceof Uint8Array) return bytesRepr(v);
  return String(v);
}

function floatRepr(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

/** Python's repr() of bytes: `b'...'`. */
export function bytesRepr(b: Uint8Array): string {
  let out = "b'";
  for (const c of b) {
    if (c === 0x5c) out += '\\\\';
    else if (c === 0x27) out += "\\'";
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += '\\x' + c.toString(16).padStart(2, '0');
  }
  return out + "'";
}

function setup(self: Error, cls: AnyCtor, args: unknown[]): void {
  const chain = new Set<AnyCtor>();
  for (let c: any = cls; c && c !== Error && c !== Function.prototype; c = Object.getPrototypeOf(c)) chain.add(c);
  for (const extra of ((cls as any).__pybases__ as AnyCtor[] | undefined) ?? []) {
    for (let c: any = extra; c && c !== Error; c = Object.getPrototypeOf(c)) chain.add(c);
  }
  Object.defineProperty(self, PY_MRO, { value: chain, enumerable: false });
  Object.defineProperty(self, 'args', { value: args, enumerable: false, writable: true });
  Object.defineProperty(self, 'name', { value: (cls as any).pyName ?? cls.name, enumerable: false, writable: true });
}

/** Python's `BaseException`: `name` is the Python type, `message` is `str(exc)`, `args` the
 *  arguments. `instanceof` follows Python's hierarchy. */
export class BaseException extends Error {
  /** `exc.args`: the arguments the exception was made with. */
  declare args: unknown[];
  /** @internal Python's name of the class. */
  static pyName = 'BaseException';
  /** @internal `instanceof` along Python's hierarchy. */
  static [Symbol.hasInstance] = pyHasInstance;
  /** `BaseException(*args)` */
  constructor(...args: unknown[]) {
    super(strOfArgs(args));
    setup(this, new.target, args);
  }
  /** `Type: message`, as Python's traceback shows it. */
  toString(): string {
    return this.message ? `${this.name}: ${this.message}` : this.name;
  }
}

/** Python's `Exception`: the base of the errors pymmap raises. */
export class Exception extends BaseException {
  /** @internal */
  static pyName = 'Exception';
}
/** Python's `ValueError` (a closed map, an out-of-range position or size, ...). */
export class ValueError extends Exception {
  /** @internal */
  static pyName = 'ValueError';
}
/** Python's `LookupError`: the base of IndexError. */
export class LookupError extends Exception {
  /** @internal */
  static pyName = 'LookupError';
}
/** Python's `ArithmeticError`: the base of OverflowError. */
export class ArithmeticError extends Exception {
  /** @internal */
  static pyName = 'ArithmeticError';
}
/** Python's `BufferError` (close or resize while buffer exports are held). */
export class BufferError extends Exception {
  /** @internal */
  static pyName = 'BufferError';
}
/** Python's `AttributeError`. */
export class AttributeError extends Exception {
  /** @internal */
  static pyName = 'AttributeError';
}
/** Python's `SystemError` (an internal error of pymmap: please report it). */
export class SystemError extends Exception {
  /** @internal */
  static pyName = 'SystemError';
}
/** Python's `MemoryError` (a result larger than the runtime can allocate). */
export class MemoryError extends Exception {
  /** @internal */
  static pyName = 'MemoryError';
}

/** Python's TypeError; a JS TypeError too. */
class PyTypeError extends globalThis.TypeError {
  /** `exc.args` */
  declare args: unknown[];
  /** @internal */
  static pyName = 'TypeError';
  /** @internal */
  static __pybases__ = [Exception];
  /** @internal */
  static [Symbol.hasInstance] = pyHasInstance;
  /** `Type(*args)` */
  constructor(...args: unknown[]) {
    super(strOfArgs(args));
    setup(this, new.target, args);
  }
  /** `Type: message` */
  toString(): string { return this.message ? `${this.name}: ${this.message}` : this.name; }
}
export { PyTypeError as TypeError };

/** Python's IndexError (a LookupError); a JS RangeError too. */
export class IndexError extends RangeError {
  /** `exc.args` */
  declare args: unknown[];
  /** @internal */
  static pyName = 'IndexError';
  /** @internal */
  static __pybases__ = [LookupError];
  /** @internal */
  static [Symbol.hasInstance] = pyHasInstance;
  /** `Type(*args)` */
  constructor(...args: unknown[]) {
    super(strOfArgs(args));
    setup(this, new.target, args);
  }
  /** `Type: message` */
  toString(): string { return this.message ? `${this.name}: ${this.message}` : this.name; }
}

/** Python's OverflowError (an ArithmeticError); a JS RangeError too. */
export class OverflowError extends RangeError {
  /** `exc.args` */
  declare args: unknown[];
  /** @internal */
  static pyName = 'OverflowError';
  /** @internal */
  static __pybases__ = [ArithmeticError];
  /** @internal */
  static [Symbol.hasInstance] = pyHasInstance;
  /** `Type(*args)` */
  constructor(...args: unknown[]) {
    super(strOfArgs(args));
    setup(this, new.target, args);
  }
  /** `Type: message` */
  toString(): string { return this.message ? `${this.name}: ${this.message}` : this.name; }
}

/**
 * Python's OSError. `new OSError(errno, strerror)` gives `str(e) == "[Errno 9] Bad file
 * descriptor"`; use OSError.fromErrno to get the errno subclass (PermissionError, ...) as
 * Python's OSError constructor does.
 */
export class OSError extends Exception {
  /** @internal */
  static pyName = 'OSError';
  /** `exc.errno`: the host's errno number (None: null). */
  errno: number | null = null;
  /** `exc.strerror`: the error's text. */
  strerror: string | null = null;
  /** `exc.filename` */
  filename: string | null = null;
  /** Symbolic errno name (EBADF, ...), a JS convenience. */
  code: string | null = null;
  /** Windows error number, where the error came from Win32. */
  winerror: number | null = null;
  /** `OSError(errno, strerror[, filename])`, or any arguments. */
  constructor(...args: unknown[]) {
    super(...args);
    if (args.length >= 2 && args.length <= 5) {
      this.errno = args[0] as number;
      this.strerror = args[1] as string;
      if (args.length >= 3) this.filename = args[2] as string;
      this.message = `[Errno ${pyStr(args[0])}] ${pyStr(args[1])}` + (args.length >= 3 ? `: ${pyRepr(args[2])}` : '');
    }
  }

  /** `OSError(errno, strerror)` as Python makes it: the errno's subclass (PermissionError for
   *  EACCES, ...) where there is one. */
  static fromErrno(errno: number, strerror: string, code?: string): OSError {
    const cls = (code && ERRNO_CLASSES[code]) || OSError;
    const e = new cls(errno, strerror);
    e.code = code ?? null;
    return e;
  }
}

/** Python's `BlockingIOError` (EAGAIN, EWOULDBLOCK, ...). */
export class BlockingIOError extends OSError {
  /** @internal */
  static pyName = 'BlockingIOError';
}
/** Python's `ChildProcessError` (ECHILD). */
export class ChildProcessError extends OSError {
  /** @internal */
  static pyName = 'ChildProcessError';
}
/** Python's `ConnectionError`. */
export class ConnectionError extends OSError {
  /** @internal */
  static pyName = 'ConnectionError';
}
/** Python's `BrokenPipeError` (EPIPE, ESHUTDOWN). */
export class BrokenPipeError extends ConnectionError {
  /** @internal */
  static pyName = 'BrokenPipeError';
}
/** Python's `ConnectionAbortedError` (ECONNABORTED). */
export class ConnectionAbortedError extends ConnectionError {
  /** @internal */
  static pyName = 'ConnectionAbortedError';
}
/** Python's `ConnectionRefusedError` (ECONNREFUSED). */
export class ConnectionRefusedError extends ConnectionError {
  /** @internal */
  static pyName = 'ConnectionRefusedError';
}
/** Python's `ConnectionResetError` (ECONNRESET). */
export class ConnectionResetError extends ConnectionError {
  /** @internal */
  static pyName = 'ConnectionResetError';
}
/** Python's `FileExistsError` (EEXIST). */
export class FileExistsError extends OSError {
  /** @internal */
  static pyName = 'FileExistsError';
}
/** Python's `FileNotFoundError` (ENOENT). */
export class FileNotFoundError extends OSError {
  /** @internal */
  static pyName = 'FileNotFoundError';
}
/** Python's `InterruptedError` (EINTR). */
export class InterruptedError extends OSError {
  /** @internal */
  static pyName = 'InterruptedError';
}
/** Python's `IsADirectoryError` (EISDIR). */
export class IsADirectoryError extends OSError {
  /** @internal */
  static pyName = 'IsADirectoryError';
}
/** Python's `NotADirectoryError` (ENOTDIR). */
export class NotADirectoryError extends OSError {
  /** @internal */
  static pyName = 'NotADirectoryError';
}
/** Python's `PermissionError` (EACCES, EPERM). */
export class PermissionError extends OSError {
  /** @internal */
  static pyName = 'PermissionError';
}
/** Python's `ProcessLookupError` (ESRCH). */
export class ProcessLookupError extends OSError {
  /** @internal */
  static pyName = 'ProcessLookupError';
}
/** Python's `TimeoutError` (ETIMEDOUT). */
export class TimeoutError extends OSError {
  /** @internal */
  static pyName = 'TimeoutError';
}

/** Python's errno -> OSError subclass table (Objects/exceptions.c), by symbolic name. */
const ERRNO_CLASSES: Record<string, typeof OSError> = {
  EAGAIN: BlockingIOError, EALREADY: BlockingIOError, EINPROGRESS: BlockingIOError,
  EWOULDBLOCK: BlockingIOError, ECHILD: ChildProcessError, EPIPE: BrokenPipeError,
  ESHUTDOWN: BrokenPipeError, ECONNABORTED: ConnectionAbortedError,
  ECONNREFUSED: ConnectionRefusedError, ECONNRESET: ConnectionResetError, EEXIST: FileExistsError,
  ENOENT: FileNotFoundError, EINTR: InterruptedError, EISDIR: IsADirectoryError,
  ENOTDIR: NotADirectoryError, EACCES: PermissionError, EPERM: PermissionError,
  ENOTCAPABLE: PermissionError, ESRCH: ProcessLookupError, ETIMEDOUT: TimeoutError,
};

/** An integer for a slice bound: a number, a bigint, an object with `__index__`, or None. */
export type SliceBound = number | bigint | {
  /** `operator.index(x)` */
  __index__(): number | bigint;
} | null | undefined;

/** Python's `slice(start, stop, step)`: `m.__getitem__(new slice(a, b))` is `m[a:b]`;
 *  `new slice(stop)` is Python's one-argument form. None (null or undefined) bounds are open. */
export class slice {
  /** `slice.start` (None: null) */
  readonly start: unknown;
  /** `slice.stop` (None: null) */
  readonly stop: unknown;
  /** `slice.step` (None: null) */
  readonly step: unknown;
  /** `slice(stop)` */
  constructor(stop: SliceBound);
  /** `slice(start, stop[, step])` */
  constructor(start: SliceBound, stop: SliceBound, step?: SliceBound);
  constructor(start: unknown, stop?: unknown, step?: unknown) {
    if (arguments.length === 1) {
      this.start = null;
      this.stop = start ?? null;
      this.step = null;
    } else {
      this.start = start ?? null;
      this.stop = stop ?? null;
      this.step = step ?? null;
    }
  }
  /** `repr(slice)`: `slice(1, 2, None)` */
  toString(): string {
    return `slice(${pyRepr(this.start)}, ${pyRepr(this.stop)}, ${pyRepr(this.step)})`;
  }
}
