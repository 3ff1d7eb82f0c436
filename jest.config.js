// Tests run through @swc/jest (fast); `npm test` type-checks with tsc first.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testTimeout: 30000,
  // Chromium, fonts and (for FENCUN_TEST_DB=mariadb) a running MariaDB: provided or refused clearly.
  globalSetup: '<rootDir>/test/global-setup.ts',
  // Two cores: two workers keep MariaDB and Chromium suites from starving each other.
  maxWorkers: 2,
};
