// pymmap: Python's `mmap` module for Node.js, name for name (the newest Python's behaviour;
// 'pymmap/versions' gives any version from 3.7 on).
import { defaultVersion } from './gates';
import { moduleFor, MmapModule } from './module';

const M: MmapModule = moduleFor(defaultVersion);
export = M;
