import { RequestRates } from './request-rates';

describe('RequestRates', () => {
  let now = 0;
  const clock = () => now;

  beforeEach(() => (now = 1_000_000));

  it('has no rate before a first sample, and none at the very moment of it', () => {
    const rates = new RequestRates(60_000, clock);
    expect(rates.rates()).toBeNull();
    rates.sample();
    expect(rates.rates()).toBeNull();
  });

  it('divides what was answered since the oldest sample by the time since it, by kind', () => {
    const rates = new RequestRates(60_000, clock);
    rates.sample();
    for (let i = 0; i < 20; i++) rates.record(200);
    rates.record(404);
    rates.record(412);
    rates.record(503);
    rates.record(304);
    now += 2_000;
    expect(rates.rates()).toEqual({ windowSeconds: 2, requests: 12, clientErrors: 1, serverErrors: 0.5 });
  });

  it('forgets samples older than the window', () => {
    const rates = new RequestRates(10_000, clock);
    rates.sample();
    for (let i = 0; i < 100; i++) rates.record(500); // all before the window below
    now += 5_000;
    rates.sample();
    now += 6_000;
    rates.sample(); // the first sample is now 11 s old: dropped
    now += 1_000;
    rates.record(200);
    expect(rates.rates()).toEqual({ windowSeconds: 7, requests: 1 / 7, clientErrors: 0, serverErrors: 0 });
  });
});
