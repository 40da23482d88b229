import { DOWN_FOR_MS, NodePool } from './node-pool';

describe('NodePool', () => {
  const urls = ['http://a:1', 'http://b:2', 'http://c:3'];

  it('starts each request on the next node, then tries the others in turn', () => {
    const pool = new NodePool(urls);
    expect(pool.order()).toEqual(['http://a:1', 'http://b:2', 'http://c:3']);
    expect(pool.order()).toEqual(['http://b:2', 'http://c:3', 'http://a:1']);
    expect(pool.order()).toEqual(['http://c:3', 'http://a:1', 'http://b:2']);
    expect(pool.order()).toEqual(['http://a:1', 'http://b:2', 'http://c:3']);
  });

  it('tries a node that could not be reached last, until its time is up or it answers again', () => {
    let now = 1_000;
    const pool = new NodePool(urls, () => now);
    pool.markDown('http://a:1');
    expect(pool.order()).toEqual(['http://b:2', 'http://c:3', 'http://a:1']);
    now += DOWN_FOR_MS;
    expect(pool.order()).toEqual(['http://b:2', 'http://c:3', 'http://a:1']); // b's turn to start
    expect(pool.order()).toEqual(['http://c:3', 'http://a:1', 'http://b:2']); // a is back in the rotation
    pool.markDown('http://c:3');
    pool.markUp('http://c:3');
    expect(pool.order()).toEqual(['http://a:1', 'http://b:2', 'http://c:3']);
  });

  it('keeps URLs without a trailing slash and refuses what is not an http(s) URL', () => {
    expect(new NodePool(['http://localhost:3001/']).urls).toEqual(['http://localhost:3001']);
    expect(() => new NodePool(['localhost:3001'])).toThrow(/not an http\(s\) URL/);
    expect(() => new NodePool(['not a url'])).toThrow(/not a URL/);
    expect(() => new NodePool([])).toThrow(/at least one/);
  });
});
