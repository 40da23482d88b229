import { AllowedMethods } from './allowed-methods';

describe('AllowedMethods', () => {
  const routes = new AllowedMethods();
  routes.add('/kv-store/v1/kv/:key', 'GET');
  routes.add('/kv-store/v1/kv/:key', ['PUT', 'DELETE']);
  routes.add('/kv-store/v1/kv/batch', 'POST');
  routes.add('/health/live', 'get');

  it("lists a path's methods in a fixed order, with HEAD for GET and OPTIONS always", () => {
    expect(routes.at('/kv-store/v1/kv/some%2Fkey')).toEqual(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
    expect(routes.at('/health/live')).toEqual(['GET', 'HEAD', 'OPTIONS']);
  });

  it('unites every route that matches: POST .../kv/batch is the batch, GET .../kv/batch the key "batch"', () => {
    expect(routes.at('/kv-store/v1/kv/batch')).toEqual(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS']);
  });

  it('ignores the query string and one trailing slash, as the router does', () => {
    expect(routes.at('/kv-store/v1/kv/k/?consistency=local')).toEqual(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
    expect(routes.at('/health/live/')).toEqual(['GET', 'HEAD', 'OPTIONS']);
  });

  it('knows no methods for a path no route has: an empty key, a deeper path, another prefix', () => {
    expect(routes.at('/kv-store/v1/kv/')).toEqual([]);
    expect(routes.at('/kv-store/v1/kv/a/b')).toEqual([]);
    expect(routes.at('/kv-store/v1/nothing')).toEqual([]);
    expect(routes.at('/health/live//')).toEqual([]);
  });
});
