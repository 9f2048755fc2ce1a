import { describe, expect, it } from 'vitest';
import { ChannelHistograms } from './channel-histograms.js';
import { ChannelStats } from './channel-stats.js';
import { histogramKl, klDivergence, smoothedDistribution } from './kl.js';

describe('KL of histograms', () => {
  it('is 0 for identical histograms', () => {
    expect(histogramKl([3, 0, 5, 2], [3, 0, 5, 2])).toBe(0);
    expect(histogramKl([0, 0, 0], [0, 0, 0])).toBe(0);
    // Proportional counts are the same distribution once the pseudo-count is negligible.
    expect(histogramKl([3, 0, 5, 2], [6, 0, 10, 4], 1e-12)).toBeCloseTo(0, 9);
  });

  it('matches the closed form for two known discrete distributions', () => {
    const p = [0.5, 0.5];
    const q = [0.25, 0.75];
    const expected = 0.5 * Math.log(0.5 / 0.25) + 0.5 * Math.log(0.5 / 0.75);
    expect(klDivergence(p, q)).toBeCloseTo(expected, 12);
    // Counts normalise to the same distributions; a tiny pseudo-count leaves the value.
    expect(histogramKl([50, 50], [25, 75], 1e-9)).toBeCloseTo(expected, 8);
    // The default pseudo-count of 1/2 per bin, in closed form.
    expect(histogramKl([50, 50], [25, 75])).toBeCloseTo(0.5 * Math.log(50.5 / 25.5) + 0.5 * Math.log(50.5 / 75.5), 12);
    // KL is not symmetric.
    expect(klDivergence(q, p)).toBeCloseTo(0.25 * Math.log(0.5) + 0.75 * Math.log(1.5), 12);
  });

  it('smoothing keeps empty bins finite and still normalised', () => {
    const d = smoothedDistribution([4, 0, 0, 0], 0.5);
    expect(d.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    expect(Array.from(d)).toEqual([4.5 / 6, 0.5 / 6, 0.5 / 6, 0.5 / 6]);
    // Disjoint supports stay finite: p = (10.5, 0.5) / 11, q = (0.5, 10.5) / 11.
    const kl = histogramKl([10, 0], [0, 10]);
    const a = 10.5 / 11;
    const b = 0.5 / 11;
    expect(kl).toBeCloseTo(a * Math.log(a / b) + b * Math.log(b / a), 12);
    // A smaller pseudo-count punishes the empty bin more; more samples weigh more against the same pseudo-count.
    expect(histogramKl([10, 0], [0, 10], 1e-3)).toBeGreaterThan(kl);
    expect(histogramKl([1000, 0], [0, 1000])).toBeGreaterThan(kl);
    // An empty histogram is the uniform distribution.
    expect(Array.from(smoothedDistribution([0, 0]))).toEqual([0.5, 0.5]);
    expect(() => smoothedDistribution([1, 2], 0)).toThrow(/epsilon/);
  });
});

describe('per-channel histograms and statistics', () => {
  it('bin channels-last values over each channel range, clamping outliers into the edge bins', () => {
    const h = new ChannelHistograms([0, -1], [1, 1], 4);
    // Two channels interleaved: (0.1, -1), (0.3, 0), (0.99, 0.9), (2, -5).
    h.add([0.1, -1, 0.3, 0, 0.99, 0.9, 2, -5]);
    expect(Array.from(h.channel(0))).toEqual([1, 1, 0, 2]);
    expect(Array.from(h.channel(1))).toEqual([2, 0, 1, 1]);
  });

  it('track min, max, mean and std per channel', () => {
    const s = new ChannelStats(2);
    s.add([1, 10, 3, 10]);
    s.add([5, 10]);
    expect(s.count).toBe(3);
    expect([s.min[0], s.max[0], s.mean(0)]).toEqual([1, 5, 3]);
    expect(s.std(0)).toBeCloseTo(Math.sqrt(8 / 3), 12);
    expect(s.std(1)).toBe(0);
  });
});
