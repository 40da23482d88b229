/** The order methods are listed in an Allow header. */
const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

interface RoutePattern {
  readonly segments: readonly string[];
  readonly methods: Set<string>;
}

/**
 * Which methods each path answers, gathered from the routes as they are
 * registered. The router only knows "no route for this method and path" (a
 * 404); this tells a 405 (the path exists, the method does not) from a 404,
 * and gives the Allow header. A path can be served by more than one route
 * (POST .../kv/batch is the batch, GET .../kv/batch the key "batch"), so the
 * answer is the union over every route whose pattern matches it.
 */
export class AllowedMethods {
  private readonly patterns: RoutePattern[] = [];

  add(url: string, methods: string | readonly string[]): void {
    const segments = segmentsOf(url);
    let pattern = this.patterns.find((p) => p.segments.join('/') === segments.join('/'));
    if (!pattern) {
      pattern = { segments, methods: new Set() };
      this.patterns.push(pattern);
    }
    for (const method of typeof methods === 'string' ? [methods] : methods) pattern.methods.add(method.toUpperCase());
  }

  /**
   * The methods served at a request path (query string and one trailing slash
   * ignored, as the router ignores them), OPTIONS and HEAD included; empty
   * when no route has this path.
   */
  at(requestUrl: string): string[] {
    const segments = segmentsOf(requestUrl.split('?', 1)[0]!);
    const methods = new Set<string>();
    for (const pattern of this.patterns) {
      if (matches(pattern.segments, segments)) pattern.methods.forEach((method) => methods.add(method));
    }
    if (methods.size === 0) return [];
    if (methods.has('GET')) methods.add('HEAD'); // Fastify answers HEAD for every GET route
    methods.add('OPTIONS'); // answered with this list
    return [...methods].sort((a, b) => rank(a) - rank(b));
  }
}

function segmentsOf(path: string): string[] {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed.split('/');
}

/** A ":name" segment matches any one non-empty segment (a "/" inside a parameter is always percent-encoded). */
function matches(pattern: readonly string[], path: readonly string[]): boolean {
  if (pattern.length !== path.length) return false;
  return pattern.every((segment, index) => (segment.startsWith(':') ? path[index] !== '' : segment === path[index]));
}

function rank(method: string): number {
  const index = METHOD_ORDER.indexOf(method);
  return index === -1 ? METHOD_ORDER.length : index;
}
