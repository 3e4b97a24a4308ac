// mixed.js - a mix of slow and fast requests for the balancing section (see
// common.js): GET /slow answers after MIXED_SLOW_MS (default 100) of
// setTimeout, anything else at once. The client decides which requests are
// slow (bench/sections/balancing.py sends every 10th to /slow).
'use strict';
const slowMs = Number(process.env.MIXED_SLOW_MS || 100);
require('./common')((req) => req.url === '/slow'
    ? new Promise((resolve) => setTimeout(() => resolve('slow\n'), slowMs))
    : 'fast\n');
