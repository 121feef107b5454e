// Every error response (4xx, 5xx, 4XX, 5XX, default) is an RFC 9457 problem document: its only media type is
// application/problem+json, whose schema is `$ref: '#/components/schemas/<problemSchema>'` (or an `allOf` that
// includes that `$ref`, for a problem type with extensions). The one exception is options.rfc6749: operationId ->
// the statuses that answer RFC 6749 §5.2 / RFC 7009 §2.2.1 errors instead; those are exactly application/json
// with the `<oauthErrorSchema>` schema, and only there.
import { deref } from './_document.js';

const ERROR = /^([45]\d\d|[45]XX|default)$/;

function refersTo(schema, target) {
  if (schema === null || typeof schema !== 'object') return false;
  if (schema.$ref === target) return true;
  return Array.isArray(schema.allOf) && schema.allOf.some((part) => part && part.$ref === target);
}

export default function problemResponses(operation, options, context) {
  const document = context.document.data;
  const problem = `#/components/schemas/${options.problemSchema}`;
  const oauth = `#/components/schemas/${options.oauthErrorSchema}`;
  const oauthStatuses = (options.rfc6749 ?? {})[operation.operationId] ?? [];
  const results = [];
  for (const [status, raw] of Object.entries(operation.responses ?? {})) {
    if (!ERROR.test(status)) continue;
    const path = [...context.path, 'responses', status];
    const response = deref(document, raw);
    const content = response && typeof response === 'object' ? response.content ?? {} : {};
    const media = Object.keys(content);
    if (oauthStatuses.includes(status)) {
      const ok = media.length === 1 && media[0] === 'application/json' && refersTo(content['application/json'].schema, oauth);
      if (!ok) results.push({ message: `${status} of ${operation.operationId} must be an RFC 6749 error: only application/json with ${options.oauthErrorSchema}`, path });
      continue;
    }
    const ok = media.length === 1 && media[0] === 'application/problem+json' && refersTo(content['application/problem+json'].schema, problem);
    if (!ok) {
      const found = media.length ? media.join(', ') : 'no content';
      results.push({ message: `error response ${status} must be only application/problem+json with the ${options.problemSchema} schema (found ${found})`, path });
    }
  }
  return results;
}
