import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareRisk, isAtLeast, maxRisk, riskLevelSchema, riskLevels } from '../../../shared/domain/risk.js';
import type { RiskLevel } from '../../../shared/domain/risk.js';

const level = fc.constantFrom<RiskLevel>('none', 'low', 'medium', 'high');

describe('risk levels', () => {
  it('are ordered none < low < medium < high', () => {
    expect(riskLevels).toEqual(['none', 'low', 'medium', 'high']);
    expect(['high', 'none', 'medium', 'low', 'none'].map((l) => riskLevelSchema.parse(l)).sort(compareRisk)).toEqual([
      'none',
      'none',
      'low',
      'medium',
      'high',
    ]);
  });

  it('compares each pair by severity', () => {
    expect(Math.sign(compareRisk('none', 'low'))).toBe(-1);
    expect(Math.sign(compareRisk('low', 'medium'))).toBe(-1);
    expect(Math.sign(compareRisk('medium', 'high'))).toBe(-1);
    expect(Math.sign(compareRisk('high', 'none'))).toBe(1);
    expect(Math.sign(compareRisk('medium', 'low'))).toBe(1);
    expect(compareRisk('medium', 'medium')).toBe(0);
  });

  it('rejects unknown levels', () => {
    expect(riskLevelSchema.safeParse('critical').success).toBe(false);
    expect(riskLevelSchema.safeParse('HIGH').success).toBe(false);
  });

  it('maxRisk is none for nothing and the highest otherwise', () => {
    expect(maxRisk([])).toBe('none');
    expect(maxRisk(['low'])).toBe('low');
    expect(maxRisk(['low', 'high', 'medium'])).toBe('high');
    expect(maxRisk(['none', 'none'])).toBe('none');
    expect(maxRisk(new Set<RiskLevel>(['medium', 'low']))).toBe('medium');
  });

  it('maxRisk does not depend on order', () => {
    fc.assert(
      fc.property(fc.array(level), fc.func(fc.integer()), (levels, key) => {
        const shuffled = [...levels].sort((a, b) => key(a) - key(b));
        expect(maxRisk(shuffled)).toBe(maxRisk(levels));
        expect(maxRisk([...levels].reverse())).toBe(maxRisk(levels));
      }),
    );
  });

  it('maxRisk is at least every level given and is one of them', () => {
    fc.assert(
      fc.property(fc.array(level, { minLength: 1 }), (levels) => {
        const highest = maxRisk(levels);
        expect(levels).toContain(highest);
        for (const l of levels) expect(isAtLeast(highest, l)).toBe(true);
      }),
    );
  });

  it('isAtLeast follows the order', () => {
    const matrix: [RiskLevel, RiskLevel, boolean][] = [
      ['none', 'none', true],
      ['none', 'low', false],
      ['low', 'low', true],
      ['low', 'medium', false],
      ['medium', 'low', true],
      ['medium', 'high', false],
      ['high', 'medium', true],
      ['high', 'high', true],
      ['high', 'none', true],
    ];
    for (const [l, min, expected] of matrix) expect(isAtLeast(l, min), `${l} >= ${min}`).toBe(expected);
  });
});
