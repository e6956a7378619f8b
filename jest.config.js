// Unit and contract tests run against TypeScript sources through @swc/jest (fast, no build);
// system tests in tests/ spawn the built services as separate processes (npm test builds first).
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  },
];
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)s$': swc },
  moduleNameMapper: { '^@fillsched/(contracts|engine|service-kit|job-owner)$': '<rootDir>/packages/$1/src' },
};
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/packages/*/src/**/*.test.ts', '<rootDir>/services/*/src/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'system',
      testMatch: ['<rootDir>/tests/**/*.test.ts'],
      testTimeout: 120000,
    },
  ],
};
