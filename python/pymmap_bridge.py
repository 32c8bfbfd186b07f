"""Python's ``mmap`` module for Pyodide, on real host memory mappings (pymmap).

pymmap's ``installMmap(pyodide)`` registers its JS side as the module ``_pymmap_js`` and
executes this file into ``sys.modules['mmap']``, so ``import mmap`` inside Pyodide yields this
module.  ``mmap.mmap`` is one of two classes, each with one method set:

* zero-copy (the default): a subclass of Pyodide's own compiled mmap type that overrides only
  what must reach the host (construction, close/__exit__/deallocation, flush, size, resize,
  madvise); see the section "zero-copy" below.  Its objects are the C type's: file maps over
  pages where pymmap mapped the host file (MAP_FIXED into wasm memory), anonymous maps in wasm
  memory, and, for files without a host fd (MEMFS, devices), the built-in emulation itself.
* copying (``zeroCopy: false``): a Python class whose every operation is a call into a pymmap
  (JS) map; a map of a file without a host fd is of its private subclass _Emulated, whose every
  operation is that of a built-in (emulated) map.  Their methods are made C-level (see
  _c_methods) and their calls into JS never throw into Python (see _failed).

JS exceptions become Python built-in exceptions in exactly one place: ``_pyerr``.
"""

import sys as _sys
import errno as _errno
import operator as _operator
import os as _os

from pyodide.ffi import JsException as _JsException, JsProxy as _JsProxy

import _pymmap_js as _api

# None for pymmap is JS null (undefined means "left out").  Pyodide < 0.28 has no jsnull and
# turns None into undefined: there, None is _api.none, a JS object that _api's own functions
# turn into null (every call of the copying path goes through them: _jscall).
try:
    from pyodide.ffi import jsnull as _jsnull
except ImportError:
    _jsnull = _api.none

_HEAPTYPE = 1 << 9
_MISSING = object()
_BYTE = [bytes((i,)) for i in range(256)]
# Bumped by every mutating operation made through this module; iterators re-read their
# buffered chunk when it changes.
_gen = [0]

# ---------------------------------------------------------------- constants, module names
for _k, _v in _api.constants().to_py().items():
    globals()[_k] = _v
error = OSError
_STRICT = bool(_api.options.strict)
_ZERO_COPY = bool(_api.zeroCopy)
_HAS = set(_api.methods())          # methods and attributes of the JS mmap of this version
_MAXSIZE = _sys.maxsize
_MSG = _api.messages().to_py()      # pymmap's one table of CPython's messages

# mmap.__new__ is audited by pymmap, which calls Python's sys.audit (as CPython's C code calls
# PySys_Audit, whatever sys.audit is rebound to later). An exception a hook raises does not
# travel through JS (Pyodide < 0.28 does not reliably restore a Python exception that went
# through JS and back: "SystemError: error return without exception set"): it is kept here, JS
# is told to abort, and _pyerr hands it back.
from pyodide.ffi import create_proxy as _create_proxy
_sys_audit = _sys.audit
_audit_raised = [None]


def _audit_from_js(*args):
    try:
        _sys_audit(*args)
    except BaseException as e:
        _audit_raised[0] = e
        return False
    return True


_api.setAudit(_create_proxy(_audit_from_js))
# Numbers between Python and _api (construct's results, constructInts' arguments): an array of
# doubles both sides read and write in place (each JS value crossing into Python, and each
# argument crossing out, costs more than the whole array; array.array's items cost less than
# ctypes').
import _ctypes


class _cptr(_ctypes._SimpleCData):
    _type_ = 'P'


class _cu8(_ctypes._SimpleCData):
    _type_ = 'B'


_TP_NAMES = []      # the C strings the classes' tp_name points to (kept alive)


def _name_type(cls):
    """Py_TYPE(m)->tp_name 'mmap.mmap' for the bridge's class `cls`, as the C type's (a heap
    type's is its __name__, 'mmap'): CPython's messages (an attribute that is not there, ...)
    and reprs use it. PyTypeObject.tp_name is at offset 12 on wasm32; checked against the name
    it holds before it is replaced. False if it does not hold 'mmap'."""
    p = _cptr.from_address(id(cls) + 12)
    if bytes((_cu8 * 5).from_address(p.value)) != b'mmap\0':
        return False
    name = (_cu8 * 10)(*b'mmap.mmap\0')
    _TP_NAMES.append(name)
    p.value = _ctypes.addressof(name)
    return True
from array import array as _array

_INFO = _array('d', bytes(8 * 10))     # [9]: the copying path's error flag (_failed)
_api.setInfo(_INFO.buffer_info()[0])


# ---------------------------------------------------------------- exceptions
_PYERRORS = {
    'ValueError': ValueError, 'TypeError': TypeError, 'IndexError': IndexError,
    'OverflowError': OverflowError, 'BufferError': BufferError, 'SystemError': SystemError,
    'MemoryError': MemoryError, 'AttributeError': AttributeError, 'LookupError': LookupError,
    'ArithmeticError': ArithmeticError, 'Exception': Exception,
}


def _pyerr(e):
    """THE mapping from a JS exception (pyodide JsException) to a Python exception object.

    pymmap's errors carry Python's type name (``name``), CPython's ``str(exc)`` (``message``)
    and, for OSError, the symbolic errno (``code``).  Errno numbers differ between the host
    and Emscripten, so they are mapped by name.  Anything that is not a pymmap error is
    returned unchanged (a JS bug must stay visible).  An exception an audit hook raised under
    JS is the one handed back."""
    held = _audit_raised[0]
    if held is not None:
        _audit_raised[0] = None
        return held
    try:
        kind = _api.errorKind(e)
    except BaseException:
        return e
    if kind == 'os':
        code = e.code
        num = getattr(_errno, code, None) if code else None
        if num is None:
            num = e.errno
        if num is None:
            return OSError(*_args_of(e))
        strerror = _os.strerror(num) if code and hasattr(_errno, code) else e.strerror
        return OSError(num, strerror)      # picks PermissionError, FileNotFoundError, ...
    if kind is None:
        return e
    cls = _PYERRORS.get(kind)
    if cls is None:
        import builtins
        cls = getattr(builtins, kind, None)
        if not (isinstance(cls, type) and issubclass(cls, BaseException)):
            cls = Exception
    return cls(e.message) if e.message else cls()


def _args_of(e):
    try:
        a = e.args
        return tuple(a.to_py()) if isinstance(a, _JsProxy) else (e.message,)
    except Exception:
        return (e.message,)


def _tpname(t):
    """Py_TYPE(o)->tp_name, as CPython's messages spell a type."""
    if t is mmap or _exact(t):
        return 'mmap.mmap'
    if t.__flags__ & _HEAPTYPE:
        return t.__name__
    m = t.__module__
    return t.__qualname__ if m == 'builtins' else m + '.' + t.__qualname__


# ---------------------------------------------------------------- argument conversion
# Python values reach JS as: int -> number/BigInt, str -> string, bool -> boolean, None -> null.
# Anything else becomes a PyProxy, which _api.call converts (buffers to a zero-copy Uint8Array
# view of the wasm heap, other objects to a typed placeholder so pymmap can name the type in
# its TypeError).  An object with __index__ goes as a placeholder (_api.indexArg) that pymmap
# converts where CPython converts it, after the checks that come first (argument count,
# keywords, a closed map), by calling back _index_at: user code in __index__ runs at the same
# point as in CPython, or not at all.  The objects wait in _pending for the call in progress
# (a nested call, made by such an __index__, appends after them and drops its own).
_pending = []


def _index_at(k):
    try:
        return _operator.index(_pending[k])
    except BaseException as e:
        _audit_raised[0] = e            # raised by _pyerr when the JS call fails (as a hook's)
        return None


_api.setIndexer(_create_proxy(_index_at))
_index_arg = _api.indexArg


def _int_arg(x):
    """An argument in an integer position -> its JS value."""
    t = type(x)
    if t is int or t is bool or t is str:
        return x
    if x is None:
        return _jsnull
    if t is float:
        return _NAN                 # a non-integer JS number: pymmap names it 'float'
    if hasattr(t, '__index__'):
        _pending.append(x)
        return _index_arg(_tpname(t), len(_pending) - 1)
    return _api.foreign(_tpname(t))


def _buf_arg(x):
    """An argument in a bytes-like position."""
    t = type(x)
    if t is bytes or t is bytearray or t is memoryview:
        return x                    # a PyProxy; _api.call turns it into a Uint8Array view
    if t is int or t is bool or t is str:
        return x
    if x is None:
        return _jsnull
    if isinstance(x, _Host) and not isinstance(x, _Emulated):
        return x._pm_obj            # pymmap accepts another mmap as bytes-like
    if hasattr(t, '__buffer__'):
        return x
    if t is float:
        return _NAN
    return _api.foreign(_tpname(t))


_NAN = float('nan')


def _convert(args, kw, convs):
    """Convert positional args with the per-position converters (last one repeats) and keyword
    args with _int_arg; returns (args, kw)."""
    n = len(convs)
    out = [(convs[i] if i < n else convs[-1])(a) for i, a in enumerate(args)]
    if kw:
        kw = {k: _int_arg(a) for k, a in kw.items()}
    return out, kw


def _jscall(m, name, args, kw, convs):
    """Call method `name` of JS object `m` (a pymmap map, an export) with Python arguments,
    through _api.call (which converts buffers, and which JsProxy's reserved dunder names and
    Node Buffer results need); a JS error becomes the Python exception (_failed)."""
    base = len(_pending)
    try:
        args, kw = _convert(args, kw, convs)
        r = _call(m, name, *args, **kw) if kw else _call(m, name, *args)
    finally:
        del _pending[base:]
    if _INFO[9]:
        raise _failed()
    return None if r is _jsnull else r


_I = (_int_arg,)
_B = (_buf_arg, _int_arg)


def _bytes(r):
    return r.to_bytes() if isinstance(r, _JsProxy) else r


# ---------------------------------------------------------------- the built-in fallback
_builtin_mod = None


def _builtin():
    global _builtin_mod
    if _builtin_mod is None:
        import importlib.machinery
        import importlib.util
        spec = importlib.machinery.BuiltinImporter.find_spec('mmap')
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        _builtin_mod = mod
    return _builtin_mod


def _to_builtin_flags(value, prefix):
    """Host flag/prot bits -> the Emscripten values of the same names."""
    b = _builtin()
    if not isinstance(value, int):
        return value
    out = 0
    rest = value
    for name, hv in _HOST_BITS.get(prefix, ()):
        if hv and value & hv == hv:
            ev = getattr(b, name, None)
            if ev is not None:
                out |= ev
                rest &= ~hv
    return out | rest


_HOST_BITS = {}
for _k, _v in list(globals().items()):
    for _p in ('MAP_', 'PROT_'):
        if _k.startswith(_p) and isinstance(_v, int) and _v and (_v & (_v - 1)) == 0:
            _HOST_BITS.setdefault(_p, []).append((_k, _v))


def _new_builtin(args, kw):
    b = _builtin()
    args = list(args)
    kw = dict(kw)
    # positional: fileno, length, flags, prot, access, offset
    if len(args) > 2:
        args[2] = _to_builtin_flags(args[2], 'MAP_')
    if len(args) > 3:
        args[3] = _to_builtin_flags(args[3], 'PROT_')
    if 'flags' in kw:
        kw['flags'] = _to_builtin_flags(kw['flags'], 'MAP_')
    if 'prot' in kw:
        kw['prot'] = _to_builtin_flags(kw['prot'], 'PROT_')
    return b.mmap(*args, **kw)


# ---------------------------------------------------------------- the copying path's classes
# mmap.mmap is a Python class whose every operation is a call into a pymmap (JS) map; a file
# without a host fd (MEMFS, devices) is a map of the private subclass _Emulated, whose every
# operation is that of a built-in (Emscripten's) mmap object.  Each class has one method set;
# _install_c_methods makes them C-level (no bridge frame in a traceback).
class mmap:
    """Windows: mmap(fileno, length[, tagname[, access[, offset]]])

Maps length bytes from the file specified by the file handle fileno,
and returns a mmap object.  If length is larger than the current size
of the file, the file is extended to contain length bytes.  If length
is 0, the maximum length of the map is the current size of the file,
except that if the file is empty Windows raises an exception (you cannot
create an empty mapping on Windows).

Unix: mmap(fileno, length[, flags[, prot[, access[, offset[, trackfd]]]]])

Maps length bytes from the file specified by the file descriptor fileno,
and returns a mmap object.  If length is 0, the maximum length of the map
will be the current size of the file when mmap is called.
flags specifies the nature of the mapping. MAP_PRIVATE creates a
private copy-on-write mapping, so changes to the contents of the mmap
object will be private to this process, and MAP_SHARED creates a mapping
that's shared with all other processes mapping the same areas of the file.
The default value is MAP_SHARED.

To map anonymous memory, pass -1 as the fileno (both versions)."""

    __slots__ = ('_pm_obj', '_pm_exports', '__weakref__')

    def __new__(cls, *args, **kw):
        obj, emulated = _construct(args, kw)
        self = object.__new__(_emulated_class(cls) if emulated else cls)
        setattr_ = object.__setattr__
        setattr_(self, '_pm_obj', obj)
        setattr_(self, '_pm_exports', None)
        return self

    def __setattr__(self, name, value):
        if name == 'closed' or (_exact(type(self)) and name not in _SLOTS):
            raise AttributeError(_attr_msg(name))
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        if name == 'closed' or (_exact(type(self)) and name not in _SLOTS):
            raise AttributeError(_attr_msg(name))
        object.__delattr__(self, name)

    def close(self, *args, **kw):
        _gen[0] += 1
        _sync(self)
        return _jscall(self._pm_obj, 'close', args, kw, _I)

    @property
    def closed(self):
        return self._pm_obj.closed          # (a JS getter that cannot throw)

    def find(self, *args, **kw):
        _sync(self)
        return _jscall(self._pm_obj, 'find', args, kw, _B)

    def rfind(self, *args, **kw):
        _sync(self)
        return _jscall(self._pm_obj, 'rfind', args, kw, _B)

    def flush(self, *args, **kw):
        _sync(self)
        return _jscall(self._pm_obj, 'flush', args, kw, _I)

    def madvise(self, *args, **kw):
        return _jscall(self._pm_obj, 'madvise', args, kw, _I)

    def move(self, *args, **kw):
        _sync(self)
        r = _jscall(self._pm_obj, 'move', args, kw, _I)
        _gen[0] += 1
        _refresh(self)
        return r

    def read(self, *args, **kw):
        _sync(self)
        return _bytes(_jscall(self._pm_obj, 'read', args, kw, _I))

    def read_byte(self, *args, **kw):
        _sync(self)
        return _jscall(self._pm_obj, 'read_byte', args, kw, _I)

    def readline(self, *args, **kw):
        _sync(self)
        return _bytes(_jscall(self._pm_obj, 'readline', args, kw, _I))

    def resize(self, *args, **kw):
        _gen[0] += 1
        _sync(self)
        return _jscall(self._pm_obj, 'resize', args, kw, _I)

    def seek(self, *args, **kw):
        return _jscall(self._pm_obj, 'seek', args, kw, _I)

    def seekable(self, *args, **kw):
        return _jscall(self._pm_obj, 'seekable', args, kw, _I)

    def size(self, *args, **kw):
        return _jscall(self._pm_obj, 'size', args, kw, _I)

    def tell(self, *args, **kw):
        return _jscall(self._pm_obj, 'tell', args, kw, _I)

    def write(self, *args, **kw):
        _gen[0] += 1
        _sync(self)
        r = _jscall(self._pm_obj, 'write', args, kw, _B)
        _refresh(self)
        return r

    def write_byte(self, *args, **kw):
        _gen[0] += 1
        _sync(self)
        r = _jscall(self._pm_obj, 'write_byte', args, kw, _I)
        _refresh(self)
        return r

    def set_name(self, *args, **kw):
        return _jscall(self._pm_obj, 'set_name', args, kw, _I)

    # -- context manager
    def __enter__(self, *args, **kw):
        _jscall(self._pm_obj, '__enter__', args, kw, _I)
        return self

    def __exit__(self, *args, **kw):
        _gen[0] += 1
        _sync(self)
        # the exception triple only counts (3.14: exactly 3; before: any number)
        return _jscall(self._pm_obj, '__exit__', args, kw, (_opaque_arg,))

    # -- sequence / mapping protocol
    def __len__(self):
        r = _len(self._pm_obj)
        if _INFO[9]:
            raise _failed()
        return r

    def __getitem__(self, key):
        m = self._pm_obj
        t = type(key)
        if t is slice:
            _sync(self)
            base = len(_pending)
            try:
                r = _getslice(m, _int_arg(key.start), _int_arg(key.stop), _int_arg(key.step))
            finally:
                del _pending[base:]
            if _INFO[9]:
                raise _failed()
            return r.to_bytes()
        if t is not int:
            _sync(self)
            base = len(_pending)
            try:
                r = _getitem(m, _int_arg(key))
            finally:
                del _pending[base:]
        else:
            if self._pm_exports:
                _sync(self)
            r = _getitem(m, key)
        if _INFO[9]:
            raise _failed()
        return r

    def __setitem__(self, key, value):
        _gen[0] += 1
        _sync(self)
        m = self._pm_obj
        base = len(_pending)
        try:
            if type(key) is slice:
                _setslice(m, _int_arg(key.start), _int_arg(key.stop), _int_arg(key.step),
                          _buf_arg(value))
            else:
                _setitem(m, _int_arg(key), _int_arg(value))
        finally:
            del _pending[base:]
        if _INFO[9]:
            raise _failed()
        _refresh(self)

    def __delitem__(self, key):
        m = self._pm_obj
        if type(key) is not slice:
            return _jscall(m, '__delitem__', (key,), None, _I)
        base = len(_pending)
        try:
            _delslice(m, _int_arg(key.start), _int_arg(key.stop), _int_arg(key.step))
        finally:
            del _pending[base:]
        if _INFO[9]:
            raise _failed()

    # CPython's mmap has no tp_iter and no sq_contains: `for` and `in` use the sequence
    # protocol, whose items come from sq_item (1-byte bytes) for mmap.mmap itself, but from
    # __getitem__ (ints, or what a subclass's __getitem__ returns) for a subclass.
    def __iter__(self):
        if type(self) is not mmap:
            return _subclass_iter(self)
        return _HostIter(self)

    def __contains__(self, x):
        if type(self) is not mmap:
            return _subclass_contains(self, x)
        t = type(x)
        if t is bytes or t is bytearray or t is int or t is str or t is bool or x is None:
            _sync(self)
            return _jscall(self._pm_obj, '__contains__', (x,), None, (_buf_arg,))
        # any other object: the sequence fallback compares every 1-byte item with ==
        for item in self:
            if item is x or item == x:
                return True
        return False

    # -- no concatenation or repetition (CPython's mmap has no sq_concat/sq_repeat)
    # A Python class cannot leave these slots empty and still name itself 'mmap.mmap' in
    # Python's message: raise it here, after giving the other operand its reflected method.
    def __add__(self, other):
        return _binop(self, other, '+', '__radd__')

    def __mul__(self, other):
        return _binop(self, other, '*', '__rmul__')

    def __radd__(self, other):
        return _rbinop(self, other, '+')

    def __rmul__(self, other):
        return _rbinop(self, other, '*')

    # -- repr, pickling
    def __repr__(self):
        r = _repr(self._pm_obj)
        if _INFO[9]:
            raise _failed()
        return _retype(r, type(self))

    def __reduce_ex__(self, *args):
        if len(args) != 1:
            raise TypeError('object.__reduce_ex__() takes exactly one argument (%d given)'
                            % len(args))
        protocol = args[0]
        if type(protocol) is int and protocol < 2:
            # copyreg._reduce_ex: the first non-heap base is mmap.mmap itself
            if _exact(type(self)):
                raise TypeError(_COPYREG_PICKLE_MSG)
            return mmap(self)                 # TypeError: 'X' object cannot be interpreted ...
        raise TypeError(_pickle_msg(type(self)))

    def __reduce__(self):
        # object.__reduce__: copyreg._reduce_ex(self, 0)
        return mmap.__reduce_ex__(self, 0)

    # -- what object's versions would show of the wrapper
    def __getstate__(self):
        d = getattr(self, '__dict__', None)     # a subclass's instance attributes
        return d if d else None

    def __sizeof__(self):
        return _SIZEOF

    def __dir__(self):
        return [n for n in object.__dir__(self) if not n.startswith('_pm_')]

    # -- buffer protocol (PEP 688)
    def __buffer__(self, *args):
        if len(args) != 1:
            raise TypeError('__buffer__ expected 1 argument, got %d' % len(args))
        _sync(self)         # the new copy shows what Python wrote through the exports held
        e = _export(self._pm_obj, args[0])
        if _INFO[9]:
            raise _failed()
        return _export_copy(self, e)

    def __release_buffer__(self, view):
        ex = self._pm_exports
        rec = ex.pop(id(view), None) if ex else None
        if rec is None:
            return
        try:
            wrote = _copy_out(rec)
        finally:
            rec[0].release()
            _gen[0] += 1
        if wrote and self._pm_exports:
            _sync(self)     # (their own changes first)
            _refresh(self)  # the other exports held show what this one wrote


mmap.__module__ = 'mmap'
_Host = mmap            # (the name mmap is the zero-copy class once that is installed)

# (the JS functions, bound once: a JsProxy attribute lookup costs as much as the call)
_call = _api.call
_len = _api.len
_getitem = _api.getitem
_setitem = _api.setitem
_getslice = _api.getslice
_setslice = _api.setslice
_delslice = _api.delslice
_repr = _api.repr
_export = _api.export


def _failed():
    """The Python exception for the error a copying-path call into JS kept when it set the
    flag _INFO[9] (and returned None) instead of throwing into Python."""
    _INFO[9] = 0
    return _js_error()


def _sync(self):
    """Push writes made through exported (copied) buffers to the map."""
    ex = self._pm_exports
    if ex:
        for rec in list(ex.values()):
            _copy_out(rec)


def _refresh(self):
    ex = self._pm_exports
    if ex:
        for rec in list(ex.values()):
            _copy_in(rec)


_GENERIC = ('close', 'find', 'rfind', 'flush', 'madvise', 'move', 'read', 'read_byte',
            'readline', 'resize', 'seek', 'seekable', 'size', 'tell', 'write', 'write_byte',
            'set_name', '__enter__', '__exit__')
for _name in _GENERIC:
    if _name not in _HAS:
        delattr(mmap, _name)
if '__buffer__' not in _HAS and _sys.version_info < (3, 12):
    del mmap.__buffer__, mmap.__release_buffer__


class _Emulated(mmap):
    """mmap.mmap over a file without a host fd (MEMFS, devices): every operation is the one of
    the built-in (Emscripten's) mmap object it holds in _pm_obj.  (A map of a user subclass of
    mmap.mmap is of a subclass of both: _emulated_class.)"""

    __slots__ = ()

    @property
    def closed(self):
        return self._pm_obj.closed

    def __enter__(self, *args, **kw):
        self._pm_obj.__enter__(*args, **kw)
        return self

    def __iter__(self):
        if type(self) is not _Emulated:
            return _subclass_iter(self)
        return iter(self._pm_obj)           # the built-in's own sequence iterator (C)

    def __contains__(self, x):
        if type(self) is not _Emulated:
            return _subclass_contains(self, x)
        return x in self._pm_obj

    def __repr__(self):
        return _retype(repr(self._pm_obj), type(self))

    def __release_buffer__(self, view):
        # `view` came from the built-in object's __buffer__: Python releases it (and with it
        # the built-in object's export) right after this call.
        return


def _delegate(name):
    def method(self, *args, **kw):
        return getattr(self._pm_obj, name)(*args, **kw)
    method.__name__ = name
    method.__qualname__ = 'mmap.' + name
    return method


for _name in _GENERIC + ('__len__', '__getitem__', '__setitem__', '__delitem__', '__buffer__'):
    if _name in mmap.__dict__ and _name not in _Emulated.__dict__:
        setattr(_Emulated, _name, _delegate(_name))
_Emulated.__name__ = _Emulated.__qualname__ = 'mmap'
_Emulated.__module__ = 'mmap'
_EMULATED = {}      # user subclass of mmap.mmap -> its subclass for files without a host fd


def _emulated_class(cls):
    """The class of a map of `cls` over a file without a host fd: _Emulated for mmap.mmap; for
    a user subclass, a subclass of it and _Emulated (its own methods first, then _Emulated's),
    with its name."""
    if cls is _Host:
        return _Emulated
    if issubclass(cls, _Emulated):
        return cls
    e = _EMULATED.get(cls)
    if e is None:
        e = _EMULATED[cls] = type(cls)(cls.__name__, (cls, _Emulated), {
            '__slots__': (), '__module__': cls.__module__, '__qualname__': cls.__qualname__,
            '__doc__': cls.__doc__})
    return e


def _exact(t):
    """Whether t is mmap.mmap itself as Python code sees it (not a user subclass)."""
    return t is _Host or t is _Emulated


_SLOTS = frozenset(('_pm_obj', '_pm_exports'))
try:
    _SIZEOF = _builtin().mmap.__basicsize__      # as object.__sizeof__ gives for mmap.mmap
except Exception:
    _SIZEOF = object.__basicsize__


def _attr_msg(name):
    """CPython's messages for setting or deleting an attribute of an mmap object."""
    if name == 'closed':
        return "attribute 'closed' of 'mmap.mmap' objects is not writable"
    if hasattr(mmap, name):
        return "'mmap.mmap' object attribute '%s' is read-only" % name
    return "'mmap.mmap' object has no attribute '%s' and no __dict__ for setting new " \
           "attributes" % name


def _binop(self, other, op, reflected):
    r = getattr(type(other), reflected, None)
    if r is not None and not isinstance(other, mmap):
        res = r(other, self)
        if res is not NotImplemented:
            return res
    raise TypeError("unsupported operand type(s) for %s: '%s' and '%s'"
                    % (op, _tpname(type(self)), _tpname(type(other))))


_SEQUENCES = (list, tuple, str, bytes, bytearray)


def _rbinop(self, other, op):
    if isinstance(other, _SEQUENCES):
        return NotImplemented       # Python goes on to the sequence's own concat/repeat
    raise TypeError("unsupported operand type(s) for %s: '%s' and '%s'"
                    % (op, _tpname(type(other)), _tpname(type(self))))


def _opaque_arg(x):
    """An argument whose value pymmap ignores: None or a typed placeholder (no user code)."""
    return _jsnull if x is None else _api.foreign(_tpname(type(x)))


def _retype(r, t):
    if _exact(t):
        return r
    return r.replace('mmap.mmap', _tpname(t), 1)


# copyreg._reduce_ex's words (protocols 0 and 1) when the first non-heap base is mmap.mmap
_COPYREG_PICKLE_MSG = "cannot pickle 'mmap' object"


def _pickle_msg(t):
    msg = str(_api.pickleMessage)
    return msg if _exact(t) else msg.replace('mmap.mmap', _tpname(t), 1)


def _subclass_iter(obj):
    i = 0
    while True:
        try:
            item = obj[i]
        except (IndexError, StopIteration):
            return
        yield item
        i += 1


class _HostIter:
    """Iteration of a copying-path map as CPython's sequence iterator does it: 1-byte bytes,
    each item checked against the current length and validity (an error is raised again by
    the next call, as sq_item raises it again), reading 4 KiB chunks from JS. Its methods are
    made C-level (_c_methods): an error shows no bridge frame."""
    __slots__ = ('m', 'i', 'chunk', 'base', 'gen')

    def __init__(self, m):
        self.m = m
        self.i = 0
        self.chunk = b''
        self.base = 0
        self.gen = -1

    def __iter__(self):
        return self

    def __next__(self):
        i = self.i
        chunk = self.chunk
        base = self.base
        if self.gen != _gen[0] or not (base <= i < base + len(chunk)):
            m = self.m
            if m is None:
                raise StopIteration
            _sync(m)
            js = m._pm_obj
            n = _len(js)
            if _INFO[9]:
                raise _failed()
            if i >= n:
                self.m = None                   # (exhausted for good, as a sequence iterator)
                raise StopIteration
            chunk = _getslice(js, i, min(n, i + 4096), _jsnull)
            if _INFO[9]:
                raise _failed()
            chunk = self.chunk = chunk.to_bytes()
            base = self.base = i
            self.gen = _gen[0]
        self.i = i + 1
        return _BYTE[chunk[i - base]]


def _check(e):
    """Raise, as a Python exception, the fault (file truncated under the map) that a copy
    through the export's host view met: the copying path must not hand out zeros that m[i]
    would refuse."""
    _jscall(e, 'check', (), None, _I)


# Copy-based buffer exports (the copying path): rec = [jsExport, bytearray, snapshot, readonly].
# memoryview(m), and the buffer that struct, re, hashlib and the like take, is a bytearray copy
# of the whole map (wasm memory cannot fault a page in on first touch, so there is no lazy
# copy); the snapshot (a bytearray, None for a read-only export) is what the map held when the
# copy was made.  On release, and before every operation on the map while the export is held,
# only the runs of bytes where the copy differs from the snapshot (the bytes Python changed) are
# written to the map: bytes another process or another map wrote meanwhile are never reverted.
# Cost per export of an n-byte writable map: 2n bytes of wasm memory, two copies of n bytes
# and, on release, one comparison of n bytes (see README, Pyodide).

# The comparison runs in levels: ranges of 1 MiB, then 32 KiB, then 1 KiB are compared whole
# (memcmp, no copy) and only the ones that differ are split into the next size; a 1 KiB range
# that differs is XORed (as two ints) and its runs of nonzero bytes found with re.  (Measured
# on a loaded 2-core machine: a fully rewritten MiB about 60 ms, one changed byte in a MiB
# 0.2 ms; each run written costs two calls into JS, about 20 us.)
_DIFF_LEVELS = (1 << 20, 1 << 15, 1 << 10)
_NONZERO = []       # the compiled pattern of a run of nonzero bytes (re is imported on first use)


def _diff_runs(a, b, lo, hi, level, runs):
    """Appends to `runs` the maximal runs of [lo, hi) where the bytearray `a` and the
    memoryview `b` (same length) differ, in order, as [start, end) lists."""
    if level < len(_DIFF_LEVELS):
        step = _DIFF_LEVELS[level]
        i = lo
        while i < hi:
            j = min(hi, i + step)
            if not a.startswith(b[i:j], i):
                _diff_runs(a, b, i, j, level + 1, runs)
            i = j
        return
    if not _NONZERO:
        import re
        _NONZERO.append(re.compile(b'[^\\x00]+'))
    d = (int.from_bytes(a[lo:hi], 'little') ^ int.from_bytes(b[lo:hi], 'little')) \
        .to_bytes(hi - lo, 'little')
    for r in _NONZERO[0].finditer(d):
        s = lo + r.start()
        e = lo + r.end()
        if runs and runs[-1][1] == s:
            runs[-1][1] = e          # a run that goes on into this range
        else:
            runs.append([s, e])


def _export_copy(self, e):
    try:
        n = int(e.length)
        ba = bytearray(n)
        if n:
            e.view.assign_to(ba)
            _check(e)      # a page that faulted under the copy raises, as m[i] does
        ro = bool(e.readonly)
        snap = None if ro else bytearray(ba)
    except BaseException:   # (also MemoryError: the copy and its snapshot need 2n bytes)
        e.release()
        raise
    mv = memoryview(ba)
    if ro:
        mv = mv.toreadonly()
    rec = [e, ba, snap, ro]
    if self._pm_exports is None:
        self._pm_exports = {}
    self._pm_exports[id(mv)] = rec
    return mv


def _copy_out(rec):
    """Write the bytes Python changed in an exported copy (and only those) to the map; returns
    whether there were any."""
    e, ba, snap, ro = rec
    if ro:
        return False
    runs = []
    _diff_runs(ba, memoryview(snap), 0, len(ba), 0, runs)
    if not runs:
        return False
    view = e.view
    mb = memoryview(ba)
    for s, t in runs:
        view.subarray(s, t).assign(mb[s:t])
    _check(e)               # writes to a page lost under the map: OSError, and they are retried
    for s, t in runs:
        snap[s:t] = mb[s:t]
    return True


def _copy_in(rec):
    """Refresh an exported copy after a write made through the map (Python's own changes in
    it were written out just before)."""
    e, ba, snap, ro = rec
    n = len(ba)
    if n:
        fresh = bytearray(n)
        e.view.assign_to(fresh)
        _check(e)
        ba[:] = fresh          # same length: allowed while exported
        if not ro:
            snap[:] = fresh


# ---------------------------------------------------------------- construction
def _fileno_first(args, kw):
    """fileno converted now, when it has __index__: its Emscripten fd is translated to the
    host's (and reported to audit hooks) before pymmap sees it. The other arguments are
    converted where pymmap converts them (see _int_arg)."""
    if args:
        a = args[0]
        if type(a) is not int and hasattr(type(a), '__index__'):
            args = (_operator.index(a),) + tuple(args[1:])
    elif kw and 'fileno' in kw:
        a = kw['fileno']
        if type(a) is not int and hasattr(type(a), '__index__'):
            kw = dict(kw)
            kw['fileno'] = _operator.index(a)
    return args, kw


def _construct(args, kw):
    """mmap.__new__ of the copying path: (the pymmap map, False), or (the built-in mmap object,
    True) for a file without a host fd (MEMFS, devices)."""
    if 'trackfd' in kw:
        kw = dict(kw)
        kw['trackfd'] = bool(kw['trackfd'])         # the "p" converter
    args, kw = _fileno_first(args, kw)
    base = len(_pending)
    try:
        cargs, ckw = _convert(args, kw, _I)
        if cargs:
            fd = cargs[0]
        else:
            fd = ckw.get('fileno', _MISSING) if ckw else _MISSING
        translate = False
        if type(fd) is int:
            translate = -(1 << 31) <= fd < (1 << 31)
        _audit_raised[0] = None
        h = _api.construct(translate, 0, *cargs, **ckw) if ckw else \
            _api.construct(translate, 0, *cargs)
        if h == -1:
            raise _js_error()
        if h is not None:
            return h, False
        if not _STRICT:                             # a file with no host fd (MEMFS, devices)
            return _new_builtin(args, kw), True
        return _construct_nodev(fd, cargs, ckw)
    finally:
        del _pending[base:]


def _construct_nodev(fd, cargs, ckw):
    """strict: CPython's checks run on fd -2 (EBADF when they pass), then the file's size
    checks, then OSError(ENODEV)."""
    if cargs:
        cargs[0] = -2
    else:
        ckw['fileno'] = -2
    _audit_raised[0] = None
    try:
        h = _api.construct(False, False, *cargs, **ckw) if ckw else \
            _api.construct(False, False, *cargs)
    except _JsException as e:
        h = _pyerr(e)
    if h == -1:
        h = _js_error()
    if isinstance(h, BaseException):
        err = h
        if isinstance(err, OSError) and err.errno == _errno.EBADF:
            err = _nodev_error(fd, cargs, ckw or {})
    else:                                           # cannot happen: fd -2 never maps
        h.close()
        err = OSError(_errno.ENODEV, _os.strerror(_errno.ENODEV))
    h = None
    try:
        raise err
    finally:
        err = None


def _nodev_error(fd, args, kw):
    """strict mode, a file without a host fd: CPython's file-size checks, then ENODEV."""
    try:
        st = _os.fstat(fd)
    except OSError as e:
        return e
    import stat
    if stat.S_ISREG(st.st_mode):
        length = args[1] if len(args) > 1 else kw.get('length', 0)
        offset = args[5] if len(args) > 5 else kw.get('offset', 0)
        size = st.st_size
        if length == 0:
            if size == 0:
                return ValueError(_MSG['emptyFile'])
            if offset >= size:
                return ValueError(_MSG['offsetTooBig'])
            if size - offset > _MAXSIZE:
                return ValueError(_MSG['lengthTooLarge'])
        elif offset > size or size - offset < length:
            return ValueError(_MSG['lengthTooBig'])
    return OSError(_errno.ENODEV, _os.strerror(_errno.ENODEV))


# ---------------------------------------------------------------- zero-copy: CPython's own type
# With zero-copy, mmap.mmap is a subclass of Pyodide's own (compiled) mmap type that overrides
# only what must reach the host: construction, close (and __exit__, whose C code would call
# the C close), flush, size, resize and madvise. Everything else (indexing, slicing, the
# sequence and buffer protocols, find, read, write, iteration, `in`, weakrefs, pickling
# refusal, subclassing) is CPython's C code, working on the file's own pages.
#
# A file map: pymmap (JS) maps the host file as CPython would (all of CPython's checks, the
# audit event, the host fd kept for flush/size/resize), then maps the same file range again
# (MAP_FIXED) over page-aligned wasm memory, guarded against faults like a view on Node, and
# allocates the object with PyType_GenericAlloc over it (no built-in constructor: no second
# audit event, no Emscripten copy of the file); its fields (layout in shim/pyodide.ts) are
# verified by behaviour below before zero-copy is used.
# An anonymous map: zeroed page-aligned wasm memory under a new object (nothing outside the
# process could share it); the plain call is checked and audited here as CPython's C code does
# (the built-in constructor's audit event carries a garbage offset on Pyodide's 3.12 and 3.13
# builds), any other goes through pymmap's checks. resize, which Emscripten cannot do (no
# mremap), moves a map to new pages.
# A file without a host fd (MEMFS, devices): CPython's own constructor over Emscripten's
# emulation (or OSError(ENODEV) with the strict option).
# The placement of a map goes back to fresh anonymous pages before its wasm memory is freed,
# whichever way the map ends: close(), `with`, or collection (__del__, which runs before the
# C deallocator).

# What a map is to the bridge is in _api's table only (the C-level entry points keep it):
# _kind(m) is -1 for a map not placed (closed, or the built-in's own), 0 for a file map, 1 for a
# private anonymous map, 2 for a shared one (3.12/3.13 objects have no flags to tell).


def _kind(self):
    return _kind_js(id(self))


def _adopt(ptr):
    """The object at `ptr`, taking over the new reference _api made (PyObj_FromPtr added one:
    _ctypes.Py_DECREF gives it back without a call into JS)."""
    o = _from_ptr(ptr)
    _decref(o)
    return o


# Errors from _api are raised outside the `except` that caught the JsException, so that the
# Python exception has no __context__ (as one raised by C code has none).


def _em_args(args, kw):
    """Arguments for the built-in constructor: host MAP_/PROT_ values -> Emscripten's."""
    if len(args) > 2:
        args = list(args)
        args[2] = _to_builtin_flags(args[2], 'MAP_')
        if len(args) > 3:
            args[3] = _to_builtin_flags(args[3], 'PROT_')
    if kw and ('flags' in kw or 'prot' in kw):
        kw = dict(kw)
        if 'flags' in kw:
            kw['flags'] = _to_builtin_flags(kw['flags'], 'MAP_')
        if 'prot' in kw:
            kw['prot'] = _to_builtin_flags(kw['prot'], 'PROT_')
    return args, kw


def _plain(args, kw):
    """The plain call (every argument an int in range, no duplicates) as CPython's 7 values
    (CPython's defaults for the ones not given: its checks compare values), else None."""
    n = len(args)
    if n == 2 and not kw:
        fd, length = args
        if type(fd) is not int or type(length) is not int:
            return None
        flags = MAP_SHARED
        prot = _PROT_RW
        access = ACCESS_DEFAULT
        offset = 0
        trackfd = True
    else:
        if not 0 < n <= 6:
            return None
        v = list(args) + _DEFAULTS[n:]
        trackfd = True
        if kw:
            for k, a in kw.items():
                if k == 'trackfd' and _HAS_TRACKFD:
                    trackfd = bool(a)
                    continue
                i = _POS_INDEX.get(k, 0)
                if i < n or type(a) is not int:
                    return None
                v[i] = a
        fd, length, flags, prot, access, offset = v
        if length is None or type(fd) is not int or type(length) is not int or \
                type(flags) is not int or type(prot) is not int or type(access) is not int or \
                type(offset) is not int or not (-0x80000000 <= flags < 0x80000000 and
                                               -0x80000000 <= prot < 0x80000000 and
                                               -0x80000000 <= access < 0x80000000 and
                                               0 <= offset < 0x20000000000000):
            return None
    if not (-0x80000000 <= fd < 0x80000000 and 0 <= length <= _MAXSIZE):
        return None
    return fd, length, flags, prot, access, offset, trackfd


_PROT_RW = PROT_READ | PROT_WRITE
_DEFAULTS = [None, None, MAP_SHARED, _PROT_RW, ACCESS_DEFAULT, 0]
_POS_INDEX = {'length': 1, 'flags': 2, 'prot': 3, 'access': 4, 'offset': 5}   # (fileno: 0)
_HAS_TRACKFD = _sys.version_info >= (3, 13)


def _zc_new(cls, *args, **kw):
    _audit_raised[0] = None
    v = _plain(args, kw)
    try:
        if v is not None and v[0] == -1 and v[1] and not v[5] and \
                (v[4] == ACCESS_DEFAULT and v[3] == _PROT_RW and v[2] in (MAP_SHARED, MAP_PRIVATE) or
                 ACCESS_READ <= v[4] <= ACCESS_COPY and v[2] == MAP_SHARED and v[3] == _PROT_RW):
            # An anonymous map whose arguments CPython's checks pass: its audit event, then
            # pages of wasm memory (nothing outside the process could share them)
            fd, length, flags, prot, access, offset, trackfd = v
            _audit('mmap.__new__', -1, length, access, 0)
            shared = access == ACCESS_DEFAULT and flags == MAP_SHARED or \
                access == ACCESS_READ or access == ACCESS_WRITE
            c = _anon_new(id(cls), length, shared, access, trackfd)
        elif v is not None and v[0] != -1 and \
                (v[4] == ACCESS_DEFAULT or
                 ACCESS_READ <= v[4] <= ACCESS_COPY and v[2] == MAP_SHARED and v[3] == _PROT_RW):
            # A file map whose arguments pass CPython's checks before its audit event: the
            # event with the access CPython derives, then the map (pymmap's checks after it)
            fd, length, flags, prot, access, offset, trackfd = v
            if access == ACCESS_DEFAULT and not (prot & _PROT_RW == _PROT_RW):
                access = ACCESS_WRITE if prot & PROT_WRITE else ACCESS_READ
            _audit('mmap.__new__', fd, length, access, offset)
            info = _INFO
            info[0], info[1], info[2], info[3], info[4], info[5], info[6] = v
            c = _construct_ints(id(cls))
        else:
            args, kw = _fileno_first(args, kw)
            if kw and 'trackfd' in kw:
                kw = dict(kw)
                kw['trackfd'] = bool(kw['trackfd'])         # the "p" converter
            base = len(_pending)
            try:
                cargs, ckw = _convert(args, kw, _I)
                c = _api.constructZc(id(cls), *cargs, **ckw) if ckw else \
                    _api.constructZc(id(cls), *cargs)
            finally:
                del _pending[base:]
    except _JsException as e:
        c = _pyerr(e)
    if c == -1:
        c = _js_error()
    if isinstance(c, BaseException):
        try:
            raise c
        finally:
            c = None
    if c is None:                                   # a file with no host fd (MEMFS, devices)
        fd = args[0] if args else (kw.get('fileno', -1) if kw else -1)
        if _STRICT:
            base = len(_pending)
            try:
                cargs, ckw = _convert(args, kw, _I)
                return _construct_nodev(fd, cargs, ckw)
            finally:
                del _pending[base:]
        args, kw = _em_args(args, kw)
        slot = _TP_NEW
        if slot is None:
            return _T.__new__(cls, *args, **kw)
        # The built-in's __new__ refuses a class whose tp_new is not Python's slot_tp_new
        # ("not safe"): the class's own tp_new is put back for the call.
        p, orig, ours = slot
        p.value = orig
        try:
            return _T.__new__(cls, *args, **kw)
        finally:
            p.value = ours
    return _adopt(c)


def _js_error():
    """The Python exception for the error a zero-copy entry point of _api kept when it returned
    -1 (they do not throw into Python: Pyodide < 0.28 sometimes loses a JS error on its way
    back, as "SystemError: error return without exception set")."""
    e = _api.takeError()
    err = _pyerr(e)
    if not isinstance(err, BaseException):     # not a pymmap error: a bug, kept visible
        err = SystemError('pymmap bridge: %s' % (e,))
    return err


def _release(self, force):
    """Gives the map's placed pages back and closes its host side (see _api.release)."""
    return _release_js(id(self), force)


def _host(self, name, *args):
    """The host side of a placed file map (CPython's checks already passed in C); a fault
    under the placement is reported first (OSError(EFAULT))."""
    try:
        r = _api.hostCall(id(self), name, *args)
    except _JsException as e:
        err = _pyerr(e)
    else:
        if r != -1:
            return r
        err = _js_error()
    try:
        raise err
    finally:
        err = None


class _Once:
    """An argument with __index__ that the C type's method gets (zero-copy flush, madvise):
    CPython converts it where it converts it (after its argument count and validity checks),
    the user's __index__ running once, or not at all; the host call reads the value back."""
    __slots__ = ('obj', 'value')

    def __init__(self, obj):
        self.obj = obj
        self.value = None

    def __index__(self):
        v = self.value
        if v is None:
            v = self.value = _operator.index(self.obj)
        return v


def _once_args(args):
    """The arguments with each one that has __index__ (and is not an int) in a _Once."""
    for a in args:
        if type(a) is not int and a is not None and hasattr(type(a), '__index__'):
            break
    else:
        return args
    return tuple(_Once(a) if type(a) is not int and a is not None and hasattr(type(a), '__index__')
                 else a for a in args)


def _val(a):
    """An argument's value after the C method converted it (see _Once)."""
    return a.value if type(a) is _Once else a


def _zc_flush(self, *args, **kw):
    kind = _kind(self)
    if kind < 0:
        return _T.flush(self, *args, **kw)
    args = _once_args(args)
    late = False
    n0 = 0 if self.closed else len(self)       # (3.12/3.13 take the default size first)
    try:
        r = _T.flush(self, *args, **kw)         # READ/COPY maps: no msync; argument errors
    except OSError as e:
        if e.errno != _errno.EINVAL:            # Emscripten's msync refuses memory it did not map
            raise
        late = self.closed
    else:
        return r
    if late:
        # an argument's __index__ closed the map and CPython went on to msync the unmapped
        # range (NULL + offset): what a Linux host answers (pymmap's closedMapError)
        offset = _val(args[0]) if args else 0
        size = _val(args[1]) if len(args) > 1 and args[1] is not None else n0
        err = _api.closedMapError('msync', offset, size)
        if err is None:
            return None
        err = _pyerr(err)
        try:
            raise err
        finally:
            err = None
    offset = _val(args[0]) if args else 0
    if kind > 0:
        # msync of anonymous memory has nothing to write; Linux still refuses an address off a
        # page boundary
        if offset % PAGESIZE:
            raise OSError(_errno.EINVAL, _os.strerror(_errno.EINVAL))
        return None
    size = _val(args[1]) if len(args) > 1 and args[1] is not None else len(self) - offset
    if size == -1:
        size = max(len(self) - offset, 0)       # 3.15: -1 is "to the end" (earlier: refused above)
    if 'flags' in kw:
        _host(self, 'flush', offset, size, _operator.index(kw['flags']))      # (3.15's keyword)
    else:
        _host(self, 'flush', offset, size)
    return None


def _zc_madvise(self, *args, **kw):
    kind = _kind(self)
    if kind < 0:
        return _T.madvise(self, *args, **kw)
    args = _once_args(args)
    r = _T.madvise(self, *args, **kw)          # CPython's checks; Emscripten's no-op
    if kind > 0:
        return r
    size = len(self)
    start = _val(args[1]) if len(args) > 1 and args[1] is not None else 0
    length = _val(args[2]) if len(args) > 2 and args[2] is not None else size
    length = min(length, size - start)
    _host(self, 'madvise', _val(args[0]), start, length)
    return r


def _zc_size(self, *args, **kw):
    if args or kw or _kind(self) != 0:
        return _T.size(self, *args, **kw)
    if self.closed:
        self.tell()                             # ValueError: mmap closed or invalid
    return _host(self, 'size')


def _zc_close(self, *args, **kw):
    if not args and not kw and _kind(self) >= 0:
        if not _release(self, False):
            raise BufferError(_MSG['closeExported'])
        return None
    return _T.close(self, *args, **kw)


def _zc_exit(self, *args, **kw):
    if _kind(self) >= 0:
        if kw or len(args) != 3:
            # the C __exit__'s own argument check (TypeError, before closing); when it accepts
            # the call it has closed the object (its munmap of memory Emscripten did not map
            # does nothing): give the placement back
            r = _T.__exit__(self, *args, **kw)
            _release(self, True)
            return r
        _zc_close(self)
        return None
    return _T.__exit__(self, *args, **kw)


def _zc_reduce_ex(self, *args):
    # copyreg._reduce_ex (protocols 0 and 1) stops at the first non-heap base: for CPython's
    # mmap.mmap that is the type itself ("cannot pickle 'mmap' object"); for this heap
    # subclass it would be the built-in type, called on the map (a user subclass's message)
    # (object.__reduce_ex__ would also cache __slotnames__ on this heap class for protocol 2+)
    if len(args) == 1 and type(args[0]) is int and type(self) is mmap:
        raise TypeError(_COPYREG_PICKLE_MSG if args[0] < 2 else str(_api.pickleMessage))
    return object.__reduce_ex__(self, *args)


def _zc_del(self):
    if _release_js is None:         # the interpreter is tearing the module down
        return
    _release(self, True)            # (nothing to do when it is not placed)


def _zc_resize(self, *args, **kw):
    args = _once_args(args)
    # CPython's own checks (valid, argument, exports, trackfd, access, range); they pass when
    # Emscripten's missing mremap is what fails.
    try:
        _T.resize(self, *args, **kw)
    except SystemError:
        pass
    except OSError as e:
        if e.errno != _errno.ENOMEM:
            raise
    else:
        return None                             # (an Emscripten that can resize)
    if self.closed:
        # an argument's __index__ closed the map and CPython went on to mremap it: what a Linux
        # host answers (pymmap's closedMapError; the file is not truncated: its fd went with close)
        err = _pyerr(_api.closedMapError('mremap', 0, _val(args[0])))
        try:
            raise err
        finally:
            err = None
    kind = _kind(self)
    if kind < 0:
        raise OSError(_errno.ENOMEM, _os.strerror(_errno.ENOMEM))     # Emscripten's own file map
    newsize = _val(args[0])
    if kind == 2 and _sys.version_info >= (3, 13, 8) and newsize > len(self):
        # CPython 3.13.8+ on Linux refuses to grow a shared anonymous map (the new pages would
        # be past the shared memory's end); the built-in's C code has no such branch
        # (Emscripten is not Linux).
        raise ValueError(_MSG['resizeSharedAnon'])
    if kind != 0 and newsize == 0:
        # CPython's mremap to a length of 0 (Linux): EINVAL, the map as it was
        raise OSError(_errno.EINVAL, _os.strerror(_errno.EINVAL))
    try:
        old = _api.hostCall(id(self), 'resize', newsize) if kind == 0 else None
        if old != -1:
            old = _api.replace(id(self), newsize)
    except _JsException as e:
        old = _pyerr(e)
    if old == -1:
        old = _js_error()
    if isinstance(old, BaseException):
        try:
            raise old
        finally:
            old = None
    if old:
        _adopt(old)                             # Emscripten's old pages, freed by their C object
    return None


def _zc_init():
    """The zero-copy class, once the carrier layout is verified by behaviour."""
    b = _builtin()
    T = b.mmap
    if T.__basicsize__ != _api.carrierBasicsize or _ctypes.sizeof(_cptr) != 4:
        return None
    if not _api.setCarrierType(id(T), b.MAP_SHARED, b.MAP_PRIVATE, b.MAP_ANONYMOUS):
        return None
    ns = {'__slots__': (), '__doc__': T.__doc__, '__module__': 'mmap', '__qualname__': 'mmap',
          '__new__': _zc_new,
          'close': _zc_close, 'flush': _zc_flush, 'madvise': _zc_madvise, 'size': _zc_size,
          'resize': _zc_resize, '__exit__': _zc_exit, '__del__': _zc_del, '__reduce_ex__': _zc_reduce_ex}
    for k in ('close', 'flush', 'madvise', 'size', 'resize', '__exit__'):
        f = ns[k]
        f.__name__ = k
        f.__qualname__ = 'mmap.' + k
        f.__doc__ = getattr(T, k).__doc__
    _zc_new.__name__ = '__new__'
    _zc_new.__qualname__ = 'mmap.__new__'
    cls = type('mmap', (T,), ns)
    if not _name_type(cls):
        return None
    # The sequence slots: a Python subclass gets generic ones that call __getitem__ and
    # __setitem__ (which wrap the C type's mp_subscript: ints), so reversed(), iteration and
    # PySequence_GetItem would see ints where the C type's sq_item gives 1-byte bytes. Take the
    # C type's own sq_item and sq_ass_item (PyTypeObject.tp_as_sequence at offset 52 on wasm32;
    # PySequenceMethods.sq_item at 12, sq_ass_item at 20).
    mine = _cptr.from_address(id(cls) + 52).value
    base = _cptr.from_address(id(T) + 52).value
    if not mine or not base or mine == base:
        return None
    for off in (12, 20):
        _cptr.from_address(mine + off).value = _cptr.from_address(base + off).value

    # verify the layout by behaviour, on a 16-byte buffer
    class Buf(_ctypes.Array):
        _type_ = _cu8
        _length_ = 16
    buf = Buf(*b'abcdefghijklmnop')
    o = _adopt(_api.carrier(id(cls), _ctypes.addressof(buf), 16, 3, 8192, True, False, False,
                            ACCESS_WRITE))
    try:
        ok = (type(o) is cls and len(o) == 16 and o[1] == 98 and o.tell() == 3 and
              next(reversed(o)) == b'p' and next(iter(o)) == b'a' and
              repr(o) == '<mmap.mmap closed=False, access=ACCESS_WRITE, length=16, pos=3, '
                         'offset=8192>')
        if ok:
            mv = memoryview(o)
            ok = _api.exportsOf(id(o)) == 1 and mv[2] == 99
            mv.release()
            ok = ok and _api.exportsOf(id(o)) == 0
    finally:
        _api.setData(id(o), 0, 0)
    ok = ok and o.closed
    w = _weakref(o)
    del o
    if not (ok and w() is None):        # one reference, which was Python's: deallocated
        return None
    _c_install(cls, T)
    return cls


_EVENT = 'mmap.__new__'


def _c_install(cls, T):
    """C-level tp_new, close, __exit__ and tp_finalize for `cls` (JS functions in the wasm
    function table: see _api.cInstall), kept if they pass a self-test; else the Python ones
    above stay."""
    global _TP_NEW
    slot = _cptr.from_address(id(cls) + 156)        # PyTypeObject.tp_new on wasm32
    orig = slot.value
    wrap = (('flush', _zc_flush), ('madvise', _zc_madvise), ('size', _zc_size),
            ('resize', _zc_resize), ('__reduce_ex__', _zc_reduce_ex))
    if not _api.cInstall(id(cls), id(T), id(int), id(None), id(_zc_new), id(_js_error),
                         id(_sys_audit), id(_EVENT), id(T.close), id(T.__exit__), id(_strip_tb),
                         ','.join(k for k, _ in wrap), *[id(f) for _, f in wrap]):
        return False
    descrs = [_adopt(int(_INFO[i])) for i in range(len(wrap))]
    close = _adopt(int(_INFO[7]))
    exit_ = _adopt(int(_INFO[8]))
    cls.close = close
    cls.__exit__ = exit_
    for (k, _), d in zip(wrap, descrs):
        setattr(cls, k, d)
    _TP_NEW = (slot, orig, slot.value)
    ok = False
    try:
        n = _api.cCount()
        m = cls(-1, 16)
        m[3] = 7
        ok = (type(m) is cls and _kind(m) == 2 and m[3] == 7 and
              _api.cCount() == n + 1)
        mv = memoryview(m)
        try:
            m.close()
            ok = False
        except BufferError:
            pass
        mv.release()
        m.close()
        ok = ok and m.closed and _kind(m) == -1
        with cls(-1, 16, MAP_SHARED, _PROT_RW, ACCESS_COPY) as m:
            ok = ok and _kind(m) == 1
        ok = ok and m.closed and _api.cCount() == n + 2
        k = id(cls(-1, 16))                 # dropped without close: tp_finalize
        ok = ok and _kind_js(k) == -1
        try:
            cls(-1, 16, flags=MAP_PRIVATE, access=ACCESS_READ)    # (the Python __new__)
            ok = False
        except ValueError:
            pass
        e = _c_error(cls, 0x7ffffff0, 16)                         # an error tp_new raises
        ok = ok and isinstance(e, OSError) and e.errno == _errno.EBADF
    except Exception:
        ok = False
    if not ok:
        _api.cUninstall()
        _TP_NEW = None
        cls.close = _zc_close
        cls.__exit__ = _zc_exit
        for k, f in wrap:
            setattr(cls, k, f)
    return ok


def _c_error(fn, *args):
    """The exception fn(*args) raises, if its traceback shows no frame of fn's own (as a C
    function's shows none); else None (the self-tests of the C-level entry points)."""
    try:
        fn(*args)
    except Exception as e:
        return e if e.__traceback__.tb_next is None else None
    return None


def _strip_tb(e):
    """Drops the bridge's own frames from exception e's traceback (called by the C-level entry
    points: a C function shows none; frames of user code it ran, e.g. __index__, stay)."""
    keep = []
    tb = e.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename != '<pymmap>':
            keep.append(tb)
        tb = tb.tb_next
    for a, b in zip(keep, keep[1:]):
        a.tb_next = b
    if keep:
        keep[-1].tb_next = None
    e.__traceback__ = keep[0] if keep else None


_TP_NEW = None      # (tp_new's slot, the class's own tp_new, the C-level one) once installed


_from_ptr = _ctypes.PyObj_FromPtr
_decref = _ctypes.Py_DECREF


def _c_methods():
    """The copying path's C-level methods: every Python function of mmap and _Emulated (the
    dunders included: CPython's slot calls the descriptor) becomes a method descriptor whose C
    function (JS in the wasm function table, see _api.cMethods) calls it and drops the bridge's
    frames from an error's traceback, and __new__ a class method descriptor that does the same.
    Kept if they pass a self-test; else the Python functions stay."""
    from types import FunctionType
    saved = []
    for cls in (_Host, _Emulated, _HostIter):
        names = []
        impls = []
        for k, v in list(cls.__dict__.items()):
            if type(v) is staticmethod and k == '__new__':
                names.append('+' + k)
                impls.append(v.__func__)
            elif type(v) is FunctionType:
                names.append(k)
                impls.append(v)
        ds = _api.cMethods(id(_js_error), id(_strip_tb), id(cls), ','.join(names),
                           *[id(f) for f in impls])
        if ds is None:
            break
        ds = [_adopt(int(d)) for d in ds.to_py()]
        for n, f, d in zip(names, impls, ds):
            if n[0] == '+':
                saved.append((cls, '__new__', cls.__dict__['__new__']))
                cls.__new__ = staticmethod(d)
            else:
                saved.append((cls, n, f))
                setattr(cls, n, d)
    ok = len(saved) > 0
    try:
        class Sub(_Host):
            pass
        m = _Host(-1, 16)
        m[3] = 7
        ok = ok and type(m) is _Host and m[3] == 7 and m[1:4] == b'\0\0\x07' and len(m) == 16
        ok = ok and isinstance(_c_error(m.__getitem__, 16), IndexError)
        with m:
            pass
        ok = ok and m.closed and type(Sub(-1, 4)) is Sub
        e = object.__new__(_Emulated)
        object.__setattr__(e, '_pm_obj', _new_builtin((-1, 16), {}))
        object.__setattr__(e, '_pm_exports', None)
        e[2] = 5
        ok = ok and e[2] == 5
        e.close()
        e = _c_error(_Host, 0x7ffffff0, 16)
        ok = ok and isinstance(e, OSError) and e.errno == _errno.EBADF
    except Exception:
        ok = False
    if not ok:
        for cls, n, f in saved:
            setattr(cls, n, f)
    return ok


_T = None
if _ZERO_COPY:
    from weakref import ref as _weakref
    # (a JsProxy attribute lookup costs as much as the call: bound once)
    _construct_ints = _api.constructInts
    _anon_new = _api.anonNew
    _audit = _sys_audit
    _release_js = _api.release
    _kind_js = _api.kindOf

    try:
        _zc = _zc_init()
    except Exception:
        _zc = None
    _ZERO_COPY = _zc is not None
    if _ZERO_COPY:
        _T = _builtin().mmap
        mmap = _zc
        del _zc
if not _ZERO_COPY:
    _name_type(_Host)
    _name_type(_Emulated)
    _C_METHODS = _c_methods()

del _k, _v, _p, _name
