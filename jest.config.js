/** Tests are TypeScript, run by ts-jest against the sources in lib/ and the addon in build/. */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'test/tsconfig.json' }] },
  testTimeout: 120000,
  // Compiles lib/ and bin/ into dist/ first: tests that spawn the CLI must run the current code.
  globalSetup: '<rootDir>/test/global-setup.js',
  setupFilesAfterEnv: ['<rootDir>/test/helpers/cleanup.ts'],
  // One worker: each suite drives LibTorch with all cores already.
  maxWorkers: 1,
};
