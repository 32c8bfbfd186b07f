"""pefile (Debian python3-pefile) on the three Windows builds of 7-Zip (npm 7zip-bin).

pefile.PE(path) maps the file with mmap.mmap(fd, 0, MAP_PRIVATE) (a private, writable map of a
read-only descriptor) and parses everything through it: headers, sections, imports, exports,
resources, version information, relocations, the rich header, and the whole-file checksum.
A fast_load look closed by `with` (pe.close() closes the map). Then (for the PE32 file) the
checksum, which replaces the map by a bytearray copy of it (bytearray(map)) and leaves the map
to the garbage collector, unclosed; then the edits a user makes (header fields, bytes at an offset) and
pe.write(). pefile never stores into the map itself; the file must stay as it was.
"""

import hashlib
import mmap
import os

import pefile


def _h(b):
    return hashlib.sha256(bytes(b)).hexdigest()


def _s(v):
    if isinstance(v, bytes):
        return v.decode('latin-1')
    return v


def _resources(pe):
    out = []
    if not hasattr(pe, 'DIRECTORY_ENTRY_RESOURCE'):
        return out

    def walk(d, trail):
        for e in d.entries:
            key = _s(str(e.name)) if e.name is not None else e.id
            if hasattr(e, 'directory'):
                walk(e.directory, trail + [key])
            else:
                ds = e.data.struct
                out.append([trail + [key], e.data.lang, e.data.sublang, ds.OffsetToData, ds.Size,
                            _h(pe.get_data(ds.OffsetToData, ds.Size))])

    walk(pe.DIRECTORY_ENTRY_RESOURCE, [])
    return out


def _version_info(pe):
    out = []
    for fi in getattr(pe, 'FileInfo', []) or []:
        for entry in fi:
            for st in getattr(entry, 'StringTable', []) or []:
                for k, v in sorted(st.entries.items()):
                    out.append([_s(st.LangID), _s(k), _s(v)])
            for var in getattr(entry, 'Var', []) or []:
                out.append(['var', sorted([_s(k), str(v)] for k, v in var.entry.items())])
    if hasattr(pe, 'VS_FIXEDFILEINFO'):
        f = pe.VS_FIXEDFILEINFO[0]
        out.append(['fixed', f.FileVersionMS, f.FileVersionLS, f.ProductVersionMS, f.ProductVersionLS])
    return out


def _describe(pe):
    d = {}
    d['is_mmap'] = isinstance(pe.__data__, mmap.mmap)
    d['size'] = len(pe.__data__)
    d['machine'] = pefile.MACHINE_TYPE.get(pe.FILE_HEADER.Machine, pe.FILE_HEADER.Machine)
    d['pe_type'] = hex(pe.PE_TYPE)
    d['is_exe'] = pe.is_exe()
    d['is_dll'] = pe.is_dll()
    d['entry'] = pe.OPTIONAL_HEADER.AddressOfEntryPoint
    d['image_base'] = pe.OPTIONAL_HEADER.ImageBase
    d['subsystem'] = pe.OPTIONAL_HEADER.Subsystem
    d['sections'] = [
        [_s(s.Name.rstrip(b'\0')), s.VirtualAddress, s.Misc_VirtualSize, s.SizeOfRawData,
         s.PointerToRawData, s.Characteristics, _h(s.get_data()), repr(s.get_entropy()),
         s.get_hash_md5()]
        for s in pe.sections
    ]
    d['imports'] = [
        [_s(e.dll), [[_s(i.name), i.ordinal, i.address, i.import_by_ordinal] for i in e.imports]]
        for e in getattr(pe, 'DIRECTORY_ENTRY_IMPORT', [])
    ]
    d['delay_imports'] = [
        [_s(e.dll), [[_s(i.name), i.ordinal, i.address] for i in e.imports]]
        for e in getattr(pe, 'DIRECTORY_ENTRY_DELAY_IMPORT', [])
    ]
    exp = getattr(pe, 'DIRECTORY_ENTRY_EXPORT', None)
    d['exports'] = [[_s(s.name), s.ordinal, s.address] for s in exp.symbols] if exp else []
    d['resources'] = _resources(pe)
    d['version_info'] = _version_info(pe)
    relocs = getattr(pe, 'DIRECTORY_ENTRY_BASERELOC', [])
    d['relocations'] = [len(relocs), sum(len(b.entries) for b in relocs),
                        _h(repr([(b.struct.VirtualAddress, [(e.rva, e.type) for e in b.entries]) for b in relocs]).encode())]
    d['debug'] = [[e.struct.Type, e.struct.SizeOfData] for e in getattr(pe, 'DIRECTORY_ENTRY_DEBUG', [])]
    d['exceptions'] = len(getattr(pe, 'DIRECTORY_ENTRY_EXCEPTION', []) or [])
    lc = getattr(pe, 'DIRECTORY_ENTRY_LOAD_CONFIG', None)
    d['load_config'] = lc.struct.Size if lc else None
    d['tls'] = hasattr(pe, 'DIRECTORY_ENTRY_TLS')
    d['rich_header'] = pe.get_rich_header_hash()
    d['rich_values'] = list(pe.RICH_HEADER.values) if getattr(pe, 'RICH_HEADER', None) else None
    d['imphash'] = pe.get_imphash()
    d['exphash'] = pe.get_exphash()
    d['overlay'] = pe.get_overlay_data_start_offset()
    d['resource_strings'] = sorted(_s(x) for x in pe.get_resources_strings())
    d['memory_image'] = _h(pe.get_memory_mapped_image())
    d['warnings'] = pe.get_warnings()
    if pe.FILE_HEADER.Machine != 0x8664:  # x64's dump is 3.5 MB of text made by pure Python
        dump = pe.dump_info()
        d['dump_info'] = [len(dump), _h(dump.encode('utf-8', 'replace'))]
        d['dump_head'] = dump.splitlines()[:6]
    return d


def run(data, work):
    out = {}
    for arch in ('x64', 'ia32', 'arm64'):
        path = os.path.join(data, 'pe', arch, '7za.exe')
        with open(path, 'rb') as f:
            before = _h(f.read())
        # a quick look, closed by the with statement (pe.close() closes the map)
        with pefile.PE(path, fast_load=True) as quick:
            head = [quick.FILE_HEADER.NumberOfSections, quick.OPTIONAL_HEADER.SizeOfImage,
                    quick.is_exe(), _h(quick.get_memory_mapped_image()[:4096])]
        pe = pefile.PE(path)  # full load, through the map
        d = _describe(pe)
        d['fast_load'] = head
        if arch == 'ia32':
            # generate_checksum() replaces the map by the rewritten image (a bytearray copy of
            # it): from here on pefile leaves the map to the garbage collector, unclosed. (One
            # file only: the checksum is a pure-Python loop over the copy, not over the map.)
            d['checksum'] = [pe.OPTIONAL_HEADER.CheckSum, pe.generate_checksum()]
        d['is_mmap_before_write'] = isinstance(pe.__data__, mmap.mmap)
        # the edits a user makes, then the rewritten image
        pe.FILE_HEADER.TimeDateStamp = 0x5EED
        pe.OPTIONAL_HEADER.MajorOperatingSystemVersion = 10
        pe.set_bytes_at_offset(pe.sections[0].PointerToRawData, b'\xcc' * 16)
        new = pe.write()
        d['written'] = [len(new), _h(new)]
        pe.close()
        with open(path, 'rb') as f:
            d['file_unchanged'] = _h(f.read()) == before
        again = pefile.PE(data=bytes(new), fast_load=True)
        d['rewritten'] = [again.FILE_HEADER.TimeDateStamp, again.OPTIONAL_HEADER.MajorOperatingSystemVersion,
                          _h(again.sections[0].get_data()[:16])]
        out[arch] = d
    return out
