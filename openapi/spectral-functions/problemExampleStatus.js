// A problem response with an exact status (e.g. 404) has its own example on the application/problem+json media
// type, and that example's `status` is the response's status: a mock server serves it as is, so the schema's one
// generic example (a 404) must not stand in for a 401.
import { deref } from './_document.js';

function values(media) {
  if ('example' in media) return [['example', media.example]];
  if (media.examples && typeof media.examples === 'object') {
    return Object.entries(media.examples).map(([name, example]) => [`examples/${name}`, example?.value]);
  }
  return [];
}

export default function problemExampleStatus(operation, _options, context) {
  const document = context.document.data;
  const results = [];
  for (const [status, raw] of Object.entries(operation.responses ?? {})) {
    if (!/^[45]\d\d$/.test(status)) continue;
    const response = deref(document, raw);
    const media = response?.content?.['application/problem+json'];
    if (!media || typeof media !== 'object') continue;
    const path = [...context.path, 'responses', status, 'content', 'application/problem+json'];
    const shown = values(media);
    if (shown.length === 0) results.push({ message: `problem response ${status} has no example of its own`, path });
    for (const [where, value] of shown) {
      if (value?.status !== Number(status)) {
        results.push({ message: `problem example ${where} of response ${status} says status ${value?.status}`, path });
      }
    }
  }
  return results;
}
