// jest runs the TypeScript sources directly (swc strips the types; `npm run build:ts` checks them).
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/shim/lib/', '/\\.tmp/'],
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/.ci/summary-reporter.js'],
};
