import { describe, expect, it } from 'vitest';
import { formatValue } from './panelFormat.js';

describe('formatValue', () => {
  it('formats each declared format, with the unit beside the value', () => {
    expect(formatValue(1234.567)).toBe('1,234.57');
    expect(formatValue(1234.567, 'integer')).toBe('1,235');
    expect(formatValue(1234.5, 'currency', 'USD')).toBe('$1,234.50');
    expect(formatValue(1234.5, 'currency', 'USD cents')).toBe('1,234.50 USD cents');
    expect(formatValue(0.256, 'percent')).toBe('25.6%');
    expect(formatValue(12, 'number', 'ms')).toBe('12 ms');
  });

  it('shows a dash where there is no value (min or max of no rows)', () => {
    expect(formatValue(null, 'currency', 'USD')).toBe('—');
    expect(formatValue(undefined)).toBe('—');
  });
});
