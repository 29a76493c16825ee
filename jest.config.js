/** Unit tests are pure and fast; integration tests talk to the real local RabbitMQ and Postgres. */
const transform = { '^.+\\.(t|j)s$': ['@swc/jest'] };
const shared = {
  testEnvironment: 'node',
  transform,
  // Lazy imports carry the .js of the compiled output; under jest they resolve to the .ts source.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transformIgnorePatterns: ['/node_modules/(?!(@kubernetes/client-node|openid-client|oauth4webapi|jose)/)'],
};
module.exports = {
  // Integration tests wait on real brokers and retry ladders; unit tests finish in milliseconds anyway.
  testTimeout: 60_000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // A file that leaves an AMQP connection, a pg client or a child process open fails.
      testEnvironment: '<rootDir>/test/helpers/leak-guard-environment.ts',
      setupFilesAfterEnv: ['<rootDir>/test/helpers/leak-guard.ts'],
      // Its tests run dist/cli.js: builds dist/ first when src/ is newer (so `npm test` does not build).
      globalSetup: '<rootDir>/test/helpers/fresh-dist.ts',
    },
    // Renders charts/enhancer with the real helm binary (fetched once by test/helpers/helm.ts).
    { ...shared, displayName: 'chart', testMatch: ['<rootDir>/test/chart/**/*.test.ts'] },
  ],
};
