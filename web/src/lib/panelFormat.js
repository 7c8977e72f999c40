// Number formats a stream file names for its panels (docs/streams.md): number, integer,
// currency, percent, with an optional unit shown beside the value.

const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const twoDecimals = new Intl.NumberFormat('en-US', {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});
const percent = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 });
const currencies = new Map();

// A unit that is an ISO 4217 code ("USD", "EUR") is drawn as the currency's symbol.
function currencyFormat(code) {
  if (!currencies.has(code)) {
    let format = null;
    try {
      format = new Intl.NumberFormat('en-US', { style: 'currency', currency: code });
    } catch {
      // not a currency Intl knows: two decimals and the unit beside
    }
    currencies.set(code, format);
  }
  return currencies.get(code);
}

function numberText(value, format) {
  switch (format) {
    case 'integer':
      return integer.format(value);
    case 'currency':
      return twoDecimals.format(value);
    case 'percent':
      return percent.format(value); // a fraction: 0.25 is 25%
    default:
      return decimal.format(value);
  }
}

/** The value as a panel shows it; '—' when there is none (min/max of no rows is null). */
export function formatValue(value, format = 'number', unit = '') {
  if (!Number.isFinite(value)) return '—';
  if (format === 'currency' && /^[A-Z]{3}$/.test(unit)) {
    const money = currencyFormat(unit);
    if (money) return money.format(value);
  }
  const text = numberText(value, format);
  return unit ? `${text} ${unit}` : text;
}
