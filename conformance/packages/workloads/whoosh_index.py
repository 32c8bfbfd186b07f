"""Whoosh (Debian python3-whoosh): a full-text index whose segments are read through mmap.

Whoosh writes each segment as one compound file and reads it back with
mmap(fd, 0, access=ACCESS_READ), handing out memoryviews of the map for every posting list,
term table and stored field it reads (whoosh.filedb.compound). The index is built from the
Python sources of the unpacked debs (one document per top-level def or class), in three
commits (three segments), searched, then merged into one segment (optimize) and searched again.
Scores are compared exactly (repr), though they go through math.log.
"""

import os

from whoosh import index
from whoosh.fields import ID, NUMERIC, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.qparser import QueryParser

QUERIES = [
    'mmap', 'offset AND size', 'delta OR chain', '"memory map"', 'window*', 'pack -index',
    'resource', 'sha1 stream', 'checksum', 'region', 'buffer NOT memoryview', 'section entropy',
]


def _documents(corpus):
    docs = []
    for root, dirs, files in os.walk(corpus):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            rel = os.path.relpath(path, corpus)
            with open(path, encoding='utf-8') as f:
                lines = f.read().split('\n')
            start = 0
            title = rel
            for i, line in enumerate(lines + ['def _end_']):
                if (line.startswith('def ') or line.startswith('class ')) and i > start:
                    docs.append((rel, title, start, '\n'.join(lines[start:i])))
                    start = i
                    title = line.split('(')[0].split(':')[0]
    return docs


def _search(ix):
    out = []
    with ix.searcher() as s:
        qp = QueryParser('content', ix.schema)
        for q in QUERIES:
            r = s.search(qp.parse(q), limit=8)
            out.append([q, len(r), [[h['path'], h['title'], h['line'], repr(h.score)] for h in r]])
        reader = s.reader()
        out.append(['doc_count', s.doc_count(), reader.doc_count_all()])
        out.append(['frequent', [[n, t.decode()] for n, t in reader.most_frequent_terms('content', 15)]])
        out.append(['lexicon', [t.decode() for t in list(reader.lexicon('content'))[:2000:97]]])
        out.append(['titles', len(list(reader.lexicon('title')))])
    return out


def run(data, work):
    docs = _documents(os.path.join(data, 'corpus'))
    schema = Schema(path=ID(stored=True), title=ID(stored=True), line=NUMERIC(stored=True),
                    content=TEXT(stored=False))
    ixdir = os.path.join(work, 'ix')
    os.makedirs(ixdir)
    storage = FileStorage(ixdir, supports_mmap=True)
    ix = storage.create_index(schema)
    third = len(docs) // 3 + 1
    for k in range(3):
        w = ix.writer()
        for rel, title, line, text in docs[k * third:(k + 1) * third]:
            w.add_document(path=rel, title=title, line=line, content=text)
        w.commit(merge=False)
    segments = len(ix._segments())
    before = _search(ix)
    w = ix.writer()
    w.delete_by_term('path', 'gitdb/fun.py')
    w.commit(optimize=True)
    after = _search(ix)
    files = sorted(os.path.splitext(f)[1] for f in os.listdir(ixdir))
    ix.close()
    return {
        'documents': len(docs),
        'segments_before': segments,
        'files_after': files,
        'before': before,
        'after': after,
    }
