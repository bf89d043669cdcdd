import { z } from 'zod';

// Zod normally probes `new Function` to decide whether it can JIT-compile object parsers. Under our
// CSP (no 'unsafe-eval') that probe is blocked and reported as a CSP violation even though Zod
// catches it, so run Zod in jitless mode. This module must be imported before anything parses.
z.config({ jitless: true });
