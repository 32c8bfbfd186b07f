// Jest configuration used by conformance/run.js (the repository's own jest config,
// if any, is used by a plain `npx jest`). TypeScript is compiled by @swc/jest.
'use strict';
const path = require('path');

module.exports = {
  rootDir: path.resolve(__dirname, '..'),
  roots: ['<rootDir>/conformance'],
  testMatch: ['**/*.test.ts'],
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs' },
    }],
  },
  // test_find_does_not_access_beyond_buffer maps 4098 regions, test_repr a 10 MB file.
  testTimeout: 300000,
};
