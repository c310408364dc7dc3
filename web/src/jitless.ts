/**
 * zod without its `new Function` probe: the console's Content-Security-Policy allows no eval, and the browser reports
 * the probe as a violation. Imported first by main.tsx, so it runs before any schema is used.
 */
import { z } from 'zod';

z.config({ jitless: true });
