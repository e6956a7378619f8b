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
  // The packages' `exports` subpaths map to the module of the same name (`@fillsched/service-kit/testing`
  // → src/testing.ts, `@fillsched/contracts/catalogue` → src/catalogue/index.ts).
  moduleNameMapper: {
    '^@fillsched/(contracts|engine|service-kit|job-owner)$': '<rootDir>/packages/$1/src',
    '^@fillsched/(contracts|service-kit|job-owner)/([a-z-]+)$': '<rootDir>/packages/$1/src/$2',
  },
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
