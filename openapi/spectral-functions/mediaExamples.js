// Every request body and response media type that carries data a reader can be shown — JSON (application/json,
// */*+json) or a form (application/x-www-form-urlencoded) — has an example: `example` or `examples` on the media
// type, or `example` or `examples` on its top-level schema (after following `$ref`). Prism serves these examples;
// an example nested deeper (an array's items) does not count, since it does not show the whole body.
import { deref, isJson } from './_document.js';

function shows(document, media) {
  if (media === null || typeof media !== 'object') return true;
  if ('example' in media || 'examples' in media) return true;
  const schema = deref(document, media.schema);
  return schema !== null && typeof schema === 'object' && ('example' in schema || 'examples' in schema);
}

function described(mediaType) {
  return isJson(mediaType) || mediaType.split(';')[0].trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

export default function mediaExamples(operation, _options, context) {
  const document = context.document.data;
  const results = [];
  const check = (content, where) => {
    for (const [mediaType, media] of Object.entries(content ?? {})) {
      if (described(mediaType) && !shows(document, deref(document, media))) {
        results.push({ message: `${mediaType} has no example (media type or top-level schema)`, path: [...where, mediaType] });
      }
    }
  };
  const body = deref(document, operation.requestBody);
  if (body && typeof body === 'object') check(body.content, [...context.path, 'requestBody', 'content']);
  for (const [status, raw] of Object.entries(operation.responses ?? {})) {
    const response = deref(document, raw);
    if (response && typeof response === 'object') check(response.content, [...context.path, 'responses', status, 'content']);
  }
  return results;
}
