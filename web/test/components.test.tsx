// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { FluentProvider, webLightTheme } from '@fluentui/react-components';
import type { ReactElement } from 'react';
import { BarChart } from '../src/components/BarChart.js';
import { ErrorMessage } from '../src/components/common.js';
import { toApiError } from '../src/api/client.js';

afterEach(() => cleanup());

// jsdom has no layout, so no ResizeObserver; Fluent's MessageBar asks for one.
class NoResize {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
}
globalThis.ResizeObserver ??= NoResize;

function renderFluent(ui: ReactElement) {
  return render(<FluentProvider theme={webLightTheme}>{ui}</FluentProvider>);
}

describe('BarChart', () => {
  it('labels every bar with its value, so the chart reads without colours', () => {
    renderFluent(<BarChart title="Devices by status" bars={[{ label: 'active', value: 7, color: '#000' }, { label: 'pending', value: 2, color: '#111' }]} />);
    expect(screen.getByRole('figure', { name: 'Devices by status' })).toBeTruthy();
    expect(screen.getByLabelText('active: 7')).toBeTruthy();
    expect(screen.getByLabelText('pending: 2')).toBeTruthy();
  });

  it('shows the empty message when every count is zero', () => {
    renderFluent(<BarChart title="Open threats" bars={[{ label: 'high', value: 0, color: '#000' }]} empty="No open threats." />);
    expect(screen.getByText('No open threats.')).toBeTruthy();
  });
});

describe('ErrorMessage', () => {
  it('shows the API problem in words as an alert', () => {
    renderFluent(<ErrorMessage error={toApiError(403, { title: 'Forbidden', status: 403, detail: 'This change needs full access.' })} />);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('Forbidden');
    expect(alert.textContent).toContain('This change needs full access.');
  });
});
