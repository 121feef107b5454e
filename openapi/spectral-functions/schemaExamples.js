// OpenAPI 3.1 schemas carry JSON Schema's `examples` array; spectral:oas' oas3-valid-schema-example reads only the
// 3.0 `example`. Each entry of a schema's `examples` must be valid against that schema (formats included).
import { schema as validate } from '@stoplight/spectral-functions';

export default function schemaExamples(target, _options, context) {
  if (target === null || typeof target !== 'object' || !Array.isArray(target.examples)) return [];
  const { examples, ...schema } = target;
  const results = [];
  examples.forEach((example, index) => {
    const path = [...context.path, 'examples', index];
    for (const found of validate(example, { schema, dialect: 'draft2020-12', allErrors: true }, { ...context, path }) ?? []) {
      results.push({ message: `examples/${index}: ${found.message}`, path: found.path ?? path });
    }
  });
  return results;
}
