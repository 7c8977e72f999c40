import { useState } from 'react';

/** Shown when no token came from the address, the browser or a demo server. */
export default function TokenPrompt({ onSubmit }) {
  const [value, setValue] = useState('');
  const submit = (event) => {
    event.preventDefault();
    const token = value.trim();
    if (token) onSubmit(token);
  };
  return (
    <div className="page centered">
      <form className="card token-form" data-testid="token-needed" onSubmit={submit}>
        <h2>Token needed</h2>
        <p>
          This gateway needs a JWT to stream live metrics. Paste one below, or open the page with{' '}
          <code>?token=…</code>.
        </p>
        <input
          type="text"
          aria-label="Auth token"
          data-testid="token-input"
          placeholder="eyJhbGciOi…"
          value={value}
          onChange={(event) => setValue(event.target.value)}
          autoFocus
        />
        <button type="submit" disabled={value.trim() === ''}>
          Connect
        </button>
      </form>
    </div>
  );
}
