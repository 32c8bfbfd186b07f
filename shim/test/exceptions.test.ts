// The exception classes: Python's hierarchy through instanceof, err.name, err.message (= str(e)),
// OSError's errno/strerror/code and subclass choice, M.error === OSError.
import { constants } from 'os';
import M = require('../index');
import * as B from '../builtins';
import { raises } from './helpers';

const {
  BaseException, Exception, ValueError, TypeError: PyTypeError, IndexError, LookupError, OverflowError,
  ArithmeticError, BufferError, OSError, PermissionError, FileNotFoundError,
} = B;

describe('hierarchy via instanceof', () => {
  test('Python bases', () => {
    expect(new PermissionError(13, 'Permission denied')).toBeInstanceOf(OSError);
    expect(new PermissionError(13, 'Permission denied')).toBeInstanceOf(Exception);
    expect(new OSError('x')).toBeInstanceOf(Exception);
    expect(new OSError('x')).toBeInstanceOf(BaseException);
    expect(new ValueError('x')).toBeInstanceOf(Exception);
    expect(new BufferError('x')).toBeInstanceOf(Exception);
    expect(new PyTypeError('x')).toBeInstanceOf(Exception);
    expect(new PyTypeError('x')).toBeInstanceOf(BaseException);
    expect(new IndexError('x')).toBeInstanceOf(LookupError);
    expect(new IndexError('x')).toBeInstanceOf(Exception);
    expect(new OverflowError('x')).toBeInstanceOf(ArithmeticError);
    expect(new OverflowError('x')).toBeInstanceOf(Exception);
  });

  test('JS bases: catchable as Error, TypeError, RangeError', () => {
    expect(new PyTypeError('x')).toBeInstanceOf(globalThis.TypeError);
    expect(new IndexError('x')).toBeInstanceOf(RangeError);
    expect(new OverflowError('x')).toBeInstanceOf(RangeError);
    for (const e of [new ValueError('x'), new PyTypeError('x'), new IndexError('x'), new OverflowError('x'), new OSError('x')]) {
      expect(e).toBeInstanceOf(Error);
      expect(typeof e.stack).toBe('string');
    }
  });

  test('no false relations', () => {
    expect(new ValueError('x')).not.toBeInstanceOf(PyTypeError);
    expect(new ValueError('x')).not.toBeInstanceOf(OSError);
    expect(new OSError('x')).not.toBeInstanceOf(PermissionError);
    expect(new PermissionError(13, 'x')).not.toBeInstanceOf(FileNotFoundError);
    expect(new IndexError('x')).not.toBeInstanceOf(ArithmeticError);
    expect(new OverflowError('x')).not.toBeInstanceOf(LookupError);
    expect(new globalThis.TypeError('x')).not.toBeInstanceOf(PyTypeError);
    expect(new RangeError('x')).not.toBeInstanceOf(IndexError);
    expect(new Error('x')).not.toBeInstanceOf(Exception);
    expect(null).not.toBeInstanceOf(Exception);
    expect('ValueError').not.toBeInstanceOf(ValueError);
  });

  test('errors raised by the module are instances of the builtins classes', () => {
    const m = new M.mmap(-1, 4);
    try {
      const e = raises(() => m.__getitem__(4), 'IndexError', 'mmap index out of range');
      expect(e).toBeInstanceOf(LookupError);
      expect(e).toBeInstanceOf(RangeError);
      const t = raises(() => m.write('x'), 'TypeError', "a bytes-like object is required, not 'str'");
      expect(t).toBeInstanceOf(globalThis.TypeError);
      const o = raises(() => m.write_byte(256), 'OverflowError', 'unsigned byte integer is greater than maximum');
      expect(o).toBeInstanceOf(ArithmeticError);
    } finally {
      m.close();
    }
  });
});

describe('name, message, toString', () => {
  test('err.name is the Python type name', () => {
    const cases: Array<[Error, string]> = [
      [new BaseException(), 'BaseException'], [new Exception(), 'Exception'], [new ValueError(), 'ValueError'],
      [new PyTypeError(), 'TypeError'], [new IndexError(), 'IndexError'], [new LookupError(), 'LookupError'],
      [new OverflowError(), 'OverflowError'], [new ArithmeticError(), 'ArithmeticError'],
      [new BufferError(), 'BufferError'], [new OSError(), 'OSError'], [new PermissionError(), 'PermissionError'],
      [new FileNotFoundError(), 'FileNotFoundError'],
    ];
    for (const [e, n] of cases) expect(e.name).toBe(n);
  });

  test('err.message is str(exc)', () => {
    expect(new ValueError().message).toBe('');
    expect(new ValueError('a').message).toBe('a');
    expect(new ValueError(1).message).toBe('1');
    expect(new ValueError('a', 'b').message).toBe("('a', 'b')");
    expect(new ValueError('a', 'b').args).toEqual(['a', 'b']);
    expect(new OSError('just a message').message).toBe('just a message');
    expect(new OSError('just a message').errno).toBeNull();
    expect(new OSError().message).toBe('');
    expect(new OSError(1, 2, 3, 4, 5, 6).message).toBe('(1, 2, 3, 4, 5, 6)');
    expect(new OSError(1, 2, 3, 4, 5, 6).errno).toBeNull();
  });

  test('toString is "Name: message" like a traceback line', () => {
    expect(String(new ValueError('bad'))).toBe('ValueError: bad');
    expect(String(new PyTypeError('bad'))).toBe('TypeError: bad');
    expect(String(new IndexError('bad'))).toBe('IndexError: bad');
    expect(String(new ValueError())).toBe('ValueError');
  });
});

describe('OSError', () => {
  test('errno, strerror, message', () => {
    const e = new OSError(9, 'Bad file descriptor');
    expect(e.message).toBe('[Errno 9] Bad file descriptor');
    expect(e.errno).toBe(9);
    expect(e.strerror).toBe('Bad file descriptor');
    expect(e.args).toEqual([9, 'Bad file descriptor']);
    expect(e.filename).toBeNull();
  });

  test('a filename is shown in the message', () => {
    const e = new OSError(2, 'No such file or directory', 'f.txt');
    expect(e.message).toBe("[Errno 2] No such file or directory: 'f.txt'");
    expect(e.filename).toBe('f.txt');
    expect(e.errno).toBe(2);
  });

  test('fromErrno picks the subclass Python picks, and sets code', () => {
    // Linux numbers (Python's errno module); Node's os.constants.errno lacks a few (ESHUTDOWN)
    const E: Record<string, number> = { ESHUTDOWN: 108, ...(constants.errno as Record<string, number>) };
    const table: Array<[string, string]> = [
      ['EACCES', 'PermissionError'], ['EPERM', 'PermissionError'], ['ENOENT', 'FileNotFoundError'],
      ['EEXIST', 'FileExistsError'], ['EAGAIN', 'BlockingIOError'], ['EINPROGRESS', 'BlockingIOError'],
      ['EALREADY', 'BlockingIOError'], ['EINTR', 'InterruptedError'], ['EISDIR', 'IsADirectoryError'],
      ['ENOTDIR', 'NotADirectoryError'], ['EPIPE', 'BrokenPipeError'], ['ESHUTDOWN', 'BrokenPipeError'],
      ['ESRCH', 'ProcessLookupError'], ['ETIMEDOUT', 'TimeoutError'], ['ECHILD', 'ChildProcessError'],
      ['ECONNRESET', 'ConnectionResetError'], ['ECONNREFUSED', 'ConnectionRefusedError'],
      ['ECONNABORTED', 'ConnectionAbortedError'], ['EBADF', 'OSError'], ['EINVAL', 'OSError'], ['ENOMEM', 'OSError'],
    ];
    for (const [code, cls] of table) {
      const n = E[code];
      const e = OSError.fromErrno(n, 'msg', code);
      expect([code, e.name]).toEqual([code, cls]);
      expect(e).toBeInstanceOf((B as any)[cls]);
      expect(e).toBeInstanceOf(OSError);
      expect(e.errno).toBe(n);
      expect(e.code).toBe(code);
      expect(e.strerror).toBe('msg');
      expect(e.message).toBe(`[Errno ${n}] msg`);
    }
    expect(OSError.fromErrno(13, 'Permission denied', 'EACCES')).toBeInstanceOf(PermissionError);
    expect(OSError.fromErrno(13, 'Permission denied').name).toBe('OSError'); // no code: no subclass
    expect(new B.BrokenPipeError(32, 'x')).toBeInstanceOf(B.ConnectionError);
  });

  test('errors from the OS carry errno, strerror and code', () => {
    const e = raises(() => new M.mmap(-2, 10), 'OSError', '[Errno 9] Bad file descriptor');
    expect([e.errno, e.strerror, e.code]).toEqual([9, 'Bad file descriptor', 'EBADF']);
  });
});

describe('M.error', () => {
  test('is OSError', () => {
    expect(M.error).toBe(OSError);
    const e = raises(() => new M.mmap(-1, 0), 'OSError', '[Errno 22] Invalid argument');
    expect(e).toBeInstanceOf(M.error);
  });
});
