// Validates an AsyncAPI document with the official parser (@asyncapi/parser, pinned in package-lock.json).
// Usage: node scripts/validate_asyncapi.mjs openapi/asyncapi.yaml
// Prints one JSON object: {"errors": [...], "warnings": [...], "document": <the document, every $ref resolved>};
// exits 1 when the parser reports an error (or cannot produce a document), 2 on bad usage.
import { Parser, fromFile } from "@asyncapi/parser";

const [path] = process.argv.slice(2);
if (!path) {
  console.error("usage: node scripts/validate_asyncapi.mjs <asyncapi.yaml>");
  process.exit(2);
}

const ERROR = 0;
const WARNING = 1;
const describe = (d) => ({ code: d.code, message: d.message, path: d.path.join("/") });
const { document, diagnostics } = await fromFile(new Parser(), path).parse();
const errors = diagnostics.filter((d) => d.severity === ERROR).map(describe);
const warnings = diagnostics.filter((d) => d.severity === WARNING).map(describe);
const report = { errors, warnings, document: document ? document.json() : null };
process.stdout.write(JSON.stringify(report));
process.exit(errors.length > 0 || !document ? 1 : 0);
