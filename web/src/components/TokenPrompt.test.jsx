// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import TokenPrompt from './TokenPrompt.jsx';

afterEach(cleanup);

describe('TokenPrompt', () => {
  it('hands over the trimmed token and refuses an empty one', () => {
    const submitted = [];
    render(<TokenPrompt onSubmit={(token) => submitted.push(token)} />);
    const button = screen.getByRole('button', { name: 'Connect' });
    expect(button.disabled).toBe(true);

    fireEvent.change(screen.getByTestId('token-input'), { target: { value: '  eyJ.abc.def  ' } });
    fireEvent.click(button);
    expect(submitted).toEqual(['eyJ.abc.def']);
  });
});
