import type { FastifyInstance } from 'fastify';

/**
 * Every route a Fastify app serves, as "METHOD /path/{param}", read from the
 * router's own tree (printRoutes), so that routes added by plugins and by hand
 * are there as well as the controllers'. printRoutes with commonPrefix off
 * draws one node a line, its label relative to its parent's, its methods in
 * parentheses, indented four characters per level:
 *
 *   ├── /kv-store/v1/kv (GET, HEAD)
 *   │   └── /:key (GET, HEAD, PUT, DELETE)
 */
export function servedRoutes(fastify: FastifyInstance): string[] {
  const routes: string[] = [];
  const labels: string[] = [];
  for (const line of fastify.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([^)]*)\))?$/u.exec(line);
    if (!match) {
      if (line.trim() !== '') throw new Error(`printRoutes drew a line this parser does not know: ${line}`);
      continue;
    }
    const depth = match[1]!.length / 4;
    labels.length = depth;
    labels.push(match[2]!);
    // The tree keeps the "/" before a wildcard in the parent's node ("/docs" then "*"); routes here
    // only ever put a wildcard after a "/" ("/docs/*"), so it is put back.
    const path = labels
      .join('')
      .replace(/([^/])\*$/, '$1/*')
      .replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    for (const method of (match[3] ?? '').split(', ').filter((method) => method !== '' && method !== '-'))
      routes.push(`${method} ${path}`);
  }
  return routes;
}
