import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // As convex-test recommends: lets `convexTest(schema)` without a module map find ./convex.
    server: { deps: { inline: ["convex-test"] } },
    projects: [
      {
        extends: true,
        test: { name: "convex", include: ["convex/**/*.test.ts"], environment: "edge-runtime" },
      },
      {
        // The HTTP façade and end-to-end tests need Node (http server, child processes).
        extends: true,
        test: { name: "http", include: ["test/**/*.test.ts"], environment: "node" },
      },
    ],
  },
});
