// Python's built-in exceptions (the ones the mmap module raises) and `slice`.
//
// `err.name` is the Python type name and `err.message` is CPython's `str(exc)`. TypeError
// extends the JS TypeError and IndexError/OverflowError extend RangeError so plain JS code can
// catch them naturally; `instanceof` follows Python's hierarchy for every class here
// (e.g. `new PermissionError(...) instanceof OSError`, `new TypeError_() instanceof Exception`).

const PY_MRO = Symbol.for('pymmap.pyMro');

type AnyCtor = abstract new (...args: any[]) => any;

function pyHasInstance(this: AnyCtor, x: unknown): boolean {
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

export class BaseException extends Error {
  declare args: unknown[];
  static pyName = 'BaseException';
  static [Symbol.hasInstance] = pyHasInstance;
  constructor(...args: unknown[]) {
    super(strOfArgs(args));
    setup(this, new.target, args);
  }
  toString(): string {
    return this.message ? `${this.name}: ${this.message}` : this.name;
  }
}

export class Exception extends BaseException { static pyName = 'Exception'; }
export class ValueError extends Exception { static pyName = 'ValueError'; }
export class LookupError extends Exception { static pyName = 'LookupError'; }
export class ArithmeticError extends Exception { static pyName = 'ArithmeticError'; }
export class BufferError extends Exception { static pyName = 'BufferError'; }
export class AttributeError extends Exception { static pyName = 'AttributeError'; }
export class SystemError extends Exception { static pyName = 'SystemError'; }
export class MemoryError extends Exception { static pyName = 'MemoryError'; }

/** Python's TypeError; a JS TypeError too. */
class PyTypeError extends globalThis.TypeError {
  declare args: unknown[];
  static pyName = 'TypeError';
  static __pybases__ = [Exception];
  static [Symbol.hasInstance] = pyHasInstance;
  constructor(...args: unknown[]) {
    super(strOfArgs(args));
    setup(this, new.target, args);
  }
  toString(): string { return this.message ? `${this.name}: ${this.message}` : this.name; }
}
export { PyTypeError as TypeError };

/** Python's IndexError (a LookupError); a JS RangeError too. */
export class IndexError extends RangeError {
  declare args: unknown[];
  static pyName = 'IndexError';
  static __pybases__ = [LookupError];
  static [Symbol.hasInstance] = pyHasInstance;
  constructor(...args: unknown[]) {
    super(strOfArgs(args));
    setup(this, new.target, args);
  }
  toString(): string { return this.message ? `${this.name}: ${this.message}` : this.name; }
}

/** Python's OverflowError (an ArithmeticError); a JS RangeError too. */
export class OverflowError extends RangeError {
  declare args: unknown[];
  static pyName = 'OverflowError';
  static __pybases__ = [ArithmeticError];
  static [Symbol.hasInstance] = pyHasInstance;
  constructor(...args: unknown[]) {
    super(strOfArgs(args));
    setup(this, new.target, args);
  }
  toString(): string { return this.message ? `${this.name}: ${this.message}` : this.name; }
}

/**
 * Python's OSError. `new OSError(errno, strerror)` gives `str(e) == "[Errno 9] Bad file
 * descriptor"`; use OSError.fromErrno to get the errno subclass (PermissionError, ...) as
 * Python's OSError constructor does.
 */
export class OSError extends Exception {
  static pyName = 'OSError';
  errno: number | null = null;
  strerror: string | null = null;
  filename: string | null = null;
  /** Symbolic errno name (EBADF, ...), a JS convenience. */
  code: string | null = null;
  /** Windows error number, where the error came from Win32. */
  winerror: number | null = null;
  constructor(...args: unknown[]) {
    super(...args);
    if (args.length >= 2 && args.length <= 5) {
      this.errno = args[0] as number;
      this.strerror = args[1] as string;
      if (args.length >= 3) this.filename = args[2] as string;
      this.message = `[Errno ${pyStr(args[0])}] ${pyStr(args[1])}` + (args.length >= 3 ? `: ${pyRepr(args[2])}` : '');
    }
  }

  static fromErrno(errno: number, strerror: string, code?: string): OSError {
    const cls = (code && ERRNO_CLASSES[code]) || OSError;
    const e = new cls(errno, strerror);
    e.code = code ?? null;
    return e;
  }
}

export class BlockingIOError extends OSError { static pyName = 'BlockingIOError'; }
export class ChildProcessError extends OSError { static pyName = 'ChildProcessError'; }
export class ConnectionError extends OSError { static pyName = 'ConnectionError'; }
export class BrokenPipeError extends ConnectionError { static pyName = 'BrokenPipeError'; }
export class ConnectionAbortedError extends ConnectionError { static pyName = 'ConnectionAbortedError'; }
export class ConnectionRefusedError extends ConnectionError { static pyName = 'ConnectionRefusedError'; }
export class ConnectionResetError extends ConnectionError { static pyName = 'ConnectionResetError'; }
export class FileExistsError extends OSError { static pyName = 'FileExistsError'; }
export class FileNotFoundError extends OSError { static pyName = 'FileNotFoundError'; }
export class InterruptedError extends OSError { static pyName = 'InterruptedError'; }
export class IsADirectoryError extends OSError { static pyName = 'IsADirectoryError'; }
export class NotADirectoryError extends OSError { static pyName = 'NotADirectoryError'; }
export class PermissionError extends OSError { static pyName = 'PermissionError'; }
export class ProcessLookupError extends OSError { static pyName = 'ProcessLookupError'; }
export class TimeoutError extends OSError { static pyName = 'TimeoutError'; }

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

/** Python's slice(start, stop, step); `new slice(stop)` like Python's one-argument form. */
export class slice {
  readonly start: unknown;
  readonly stop: unknown;
  readonly step: unknown;
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
  toString(): string {
    return `slice(${pyRepr(this.start)}, ${pyRepr(this.stop)}, ${pyRepr(this.step)})`;
  }
}
