import { PEER_API_PREFIX } from '../peer-transport/peer-api-prefix';

/**
 * Path prefixes the app serves that the OpenAPI document deliberately leaves
 * out; every other route must be described (test/e2e/openapi.e2e-spec.ts).
 */
export const UNDESCRIBED_PATH_PREFIXES: readonly string[] = [
  // Between nodes only, behind the cluster secret: not a client API.
  `/${PEER_API_PREFIX}`,
  // For Prometheus, in its text format.
  '/metrics',
  // A page for people, rendered from the health endpoint.
  '/kv-store/v1/status',
  // The description itself and Swagger UI's page and assets.
  '/kv-store/v1/openapi.json',
  '/docs',
];

export function isUndescribed(path: string): boolean {
  return UNDESCRIBED_PATH_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}
