// cpu.js - CPU-bound HTTP app: every request computes fib(25) (~0.6 ms of
// JavaScript on a 2020s core), so throughput is bounded by the workers' CPU.
'use strict';
function fib(n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
require('./common')(() => `fib(25)=${fib(25)}\n`);
