// The ES module forms of importing pymmap (see consumer.ts).
import pymmap from 'pymmap';
import * as versions from 'pymmap/versions';

const m: pymmap.mmap = new pymmap.mmap(-1, pymmap.PAGESIZE);
const n: number = m.__len__();
const v37 = versions.moduleFor('3.7');
// @ts-expect-error no madvise in 3.7
new v37.mmap(-1, 16).madvise(0);
