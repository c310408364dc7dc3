/** The console's pages, in navigation order. */
import type { ReactElement } from 'react';

export interface PageEntry {
  readonly path: string;
  readonly title: string;
  /** Pages with their own route here; Overview and Devices are routed in App. */
  readonly element?: ReactElement;
}

export const pages: readonly PageEntry[] = [
  { path: '/', title: 'Overview' },
  { path: '/devices', title: 'Devices' },
];
