// An operation answering 201 (it creates a resource) has, on that response, a link to a GET operation that reads
// the resource back — Schemathesis' stateful tests and SDK users follow it. Every link names an existing
// operationId, and every parameter it fills is one the target operation declares.
import { deref, operations } from './_document.js';

function declared(document, template, target) {
  const item = deref(document, document.paths[template]);
  const names = new Set();
  for (const raw of [...(item.parameters ?? []), ...(target.parameters ?? [])]) {
    const parameter = deref(document, raw);
    if (parameter?.name) names.add(parameter.name);
  }
  return names;
}

export default function createdResourceLink(operation, _options, context) {
  const document = context.document.data;
  if (!operation.responses || !('201' in operation.responses)) return [];
  const path = [...context.path, 'responses', '201'];
  const response = deref(document, operation.responses['201']);
  const links = Object.entries(response?.links ?? {}).map(([name, link]) => [name, deref(document, link)]);
  const byId = new Map(operations(document).map(([template, method, op]) => [op.operationId, [template, method, op]]));
  const results = [];
  let readsBack = false;
  for (const [name, link] of links) {
    const target = byId.get(link?.operationId);
    if (target === undefined) {
      results.push({ message: `link ${name} names no operation of this contract (${link?.operationId})`, path: [...path, 'links', name] });
      continue;
    }
    const [template, method, op] = target;
    readsBack ||= method === 'get';
    const known = declared(document, template, op);
    for (const parameter of Object.keys(link.parameters ?? {})) {
      const bare = parameter.replace(/^(path|query|header|cookie)\./, '');
      if (!known.has(bare)) {
        results.push({ message: `link ${name} fills ${parameter}, which ${op.operationId} does not declare`, path: [...path, 'links', name, 'parameters', parameter] });
      }
    }
  }
  if (!readsBack) results.push({ message: `201 of ${operation.operationId ?? 'the operation'} has no link to a GET operation that reads the created resource`, path });
  return results;
}
