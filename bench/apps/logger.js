// logger.js - pushes LINES numbered lines of 96 bytes to stdout as fast as it
// can, then exits.
//   node logger.js <lines> [lines-per-write]
// lines-per-write 1 (default) is what console.log does: one write per line,
// so the app's own syscalls bound the rate. A larger batch (e.g. 512, ~48 KiB
// per write) takes the app out of the way and measures the manager.
'use strict';
const n = Number(process.argv[2] || 1000000);
const batch = Math.max(1, Number(process.argv[3] || 1));
const pad = 'x'.repeat(80);
const out = process.stdout;
let i = 0;

function line(k) {
    return `line ${String(k).padStart(9, '0')} ${pad}\n`;
}

function pump() {
    // stdout on a pipe or a file is synchronous in node on Linux, so write()
    // blocks when the reader is slow; honour 'drain' anyway in case it is not.
    while (i < n) {
        let chunk = '';
        const end = Math.min(n, i + batch);
        for (; i < end; i++)
            chunk += line(i);
        if (!out.write(chunk)) {
            out.once('drain', pump);
            return;
        }
    }
}
pump();
