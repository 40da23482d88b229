import { isUndescribed } from './undescribed-paths';

describe('isUndescribed', () => {
  it('takes in a prefix and everything under it, and nothing that merely starts with the same letters', () => {
    expect(isUndescribed('/internal/v1/accept')).toBe(true);
    expect(isUndescribed('/metrics')).toBe(true);
    expect(isUndescribed('/kv-store/v1/status')).toBe(true);
    expect(isUndescribed('/docs/swagger-ui-init.js')).toBe(true);
    expect(isUndescribed('/metricsx')).toBe(false);
    expect(isUndescribed('/kv-store/v1/kv/{key}')).toBe(false);
    expect(isUndescribed('/kv-store/v1/statuses')).toBe(false);
  });
});
