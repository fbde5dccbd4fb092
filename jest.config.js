// Unit tests live beside the code (src/**/*.test.ts) and run against TypeScript via swc;
// e2e tests drive the built platform (dist/) as separate processes.
const common = {
  extensionsToTreatAsEsm: [".ts"],
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022", parser: { syntax: "typescript" } } }] },
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  testEnvironment: "node",
};

export default {
  projects: [
    {
      ...common,
      displayName: "unit",
      testMatch: ["<rootDir>/{libs,services,runtimes,cli}/*/src/**/*.test.ts", "<rootDir>/cli/src/**/*.test.ts", "<rootDir>/deploy/src/**/*.test.ts"],
    },
    {
      ...common,
      displayName: "e2e",
      testMatch: ["<rootDir>/e2e/src/**/*.test.ts"],
    },
  ],
  testTimeout: 30_000,
};
