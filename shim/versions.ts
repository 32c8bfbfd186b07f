// 'pymmap/versions': the mmap module of any CPython version from 3.7 to 3.15.
//   moduleFor('3.12') -> that version's module (names, messages, behaviour)
export { versions, defaultVersion, GATES, gateFor } from './gates';
export type { Version, Gate } from './gates';
export { moduleFor } from './module';
