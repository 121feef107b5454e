// openapi-typescript settings for `make sdk`: openapi/openapi.yaml -> clients/typescript/schema.ts.
// Pinned here (the CLI has no flag for `transform`) so that every run writes the same bytes.
import { writeFileSync } from "node:fs";
import { argv } from "node:process";
import openapiTS, { astToString, COMMENT_HEADER } from "openapi-typescript";
import ts from "typescript";

const [, , input, output] = argv;
if (!input || !output) {
  throw new Error("usage: node clients/generate-typescript.mjs <openapi.yaml> <schema.ts>");
}

const BLOB = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier("Blob"));

// A string of bytes (3.0's `format: binary`, 3.1's `contentMediaType`) is sent and received as a Blob, not text:
// openapi-typescript would type it `string`, which no FormData part or binary download is.
function isBinary(schema) {
  if (schema.type !== "string") return false;
  if (schema.format === "binary") return true;
  const media = schema.contentMediaType;
  return typeof media === "string" && !media.startsWith("text/") && !/[/+]json$/.test(media);
}

const nodes = await openapiTS(new URL(input, `file://${process.cwd()}/`), {
  silent: true,
  // Components are shared by requests and responses: a default (ItemCreate.tags) makes a field optional to send,
  // so it must not make it required in the type; responses mark what they always return with `required`.
  defaultNonNullable: false,
  // `Item`, `Problem`, ... next to `components["schemas"]["Item"]`, for imports in application code.
  rootTypes: true,
  rootTypesNoSchemaPrefix: true,
  transform(schema) {
    return isBinary(schema) ? BLOB : undefined;
  },
});

writeFileSync(output, `${COMMENT_HEADER}${astToString(nodes)}`, "utf8");
