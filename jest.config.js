/** Tests are TypeScript, run by ts-jest against the sources in lib/ and the addon in build/. */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'test/tsconfig.json' }] },
  testTimeout: 120000,
  setupFilesAfterEnv: ['<rootDir>/test/helpers/cleanup.ts'],
  // One worker: each suite drives LibTorch with all cores already.
  maxWorkers: 1,
};
