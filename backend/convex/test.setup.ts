/// <reference types="vite/client" />
// Not deployed: `npx convex deploy` skips file names with more than one dot.

/** The Convex function modules, for `convexTest(schema, modules)`. */
export const modules = import.meta.glob(["./**/*.ts", "!./**/*.*.ts"]);
